"""task run review: an owner's verdict on an answer

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 19:45:00.000000

``task_run.review`` is ``accepted``, ``rejected`` or NULL (not reviewed); ``task_run.review_note``
the owner's note. A rejected answer is left out of its task's aggregated result.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('task_run', sa.Column('review', sa.String(length=16), nullable=True))
    op.add_column('task_run', sa.Column('review_note', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('task_run', 'review_note')
    op.drop_column('task_run', 'review')
