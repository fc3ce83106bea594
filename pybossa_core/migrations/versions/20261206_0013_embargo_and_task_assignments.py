"""embargoed results and tasks assigned to named volunteers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:20:00.000000

``project.embargo_until`` (no embargo for every existing project), ``project.assigns_tasks``
(false: no existing task is assigned) and ``task_assignment``, the volunteers a task is for.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on SQLite too: a batch rebuild of ``project`` would lose its full-text search triggers.


def upgrade() -> None:
    op.add_column('project', sa.Column('embargo_until', sa.DateTime(), nullable=True))
    op.add_column('project', sa.Column('assigns_tasks', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'task_assignment',
        sa.Column('task_id', sa.Integer(), sa.ForeignKey('task.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user.id', ondelete='CASCADE'), primary_key=True),
    )
    op.create_index('ix_task_assignment_user_id', 'task_assignment', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_task_assignment_user_id', table_name='task_assignment')
    op.drop_table('task_assignment')
    op.drop_column('project', 'assigns_tasks')
    op.drop_column('project', 'embargo_until')
