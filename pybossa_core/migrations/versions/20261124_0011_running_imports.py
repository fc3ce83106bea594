"""running imports: at most one per project, a few per user, seen by every server process

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 20:00:00.000000

A task import downloads outside the database transaction; ``running_import`` holds its claim
(project, user, start) meanwhile.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('running_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('started', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_running_import_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_running_import_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_running_import')),
    sa.UniqueConstraint('project_id', name=op.f('uq_running_import_project_id'))
    )
    op.create_index('ix_running_import_user_id', 'running_import', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_running_import_user_id', table_name='running_import')
    op.drop_table('running_import')
