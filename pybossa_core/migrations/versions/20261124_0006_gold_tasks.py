"""gold tasks: a task's expected answer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 19:30:00.000000

``task.gold_answers`` holds what a gold task (``calibration = 1``) should be answered; SQL NULL
for every other task, so a project's gold tasks are found with ``gold_answers IS NOT NULL``.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on SQLite too (3.35+ drops columns): a batch rebuild of ``task`` would lose
# its full-text search triggers.


def upgrade() -> None:
    op.add_column('task', sa.Column(
        'gold_answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True
    ))


def downgrade() -> None:
    op.drop_column('task', 'gold_answers')
