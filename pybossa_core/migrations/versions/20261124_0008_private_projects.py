"""private projects: seen only by their owners, admins and invited volunteers

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06 19:40:00.000000

``project.private`` (false for every existing project) and ``project.invited_ids``, the users a
private project's owners invited (a JSON list, as ``owners_ids``).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on SQLite too: a batch rebuild of ``project`` would lose its full-text search triggers.


def upgrade() -> None:
    op.add_column('project', sa.Column('private', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('project', sa.Column(
        'invited_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
        nullable=False, server_default='[]',
    ))


def downgrade() -> None:
    op.drop_column('project', 'invited_ids')
    op.drop_column('project', 'private')
