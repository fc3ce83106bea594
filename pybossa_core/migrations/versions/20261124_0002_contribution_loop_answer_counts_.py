"""contribution loop: answer counts, handouts, one answer per caller

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 19:55:02.655037
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_handout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('caller', sa.String(length=300), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('expires', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_task_handout_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_handout_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_handout')),
    sa.UniqueConstraint('task_id', 'caller', name='uq_task_handout_task_id_caller')
    )
    with op.batch_alter_table('task_handout', schema=None) as batch_op:
        batch_op.create_index('ix_task_handout_project_id_caller', ['project_id', 'caller'], unique=False)
        batch_op.create_index('ix_task_handout_task_id_expires', ['task_id', 'expires'], unique=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('n_task_runs', sa.Integer(), server_default='0', nullable=False))
    # The schedulers walk a project's open tasks in their order and stop at the first with room.
    open_tasks = sa.text("state != 'completed'")
    op.create_index('ix_task_depth_first', 'task',
                    ['project_id', sa.text('priority_0 DESC'), sa.text('n_task_runs DESC'), 'id'],
                    postgresql_where=open_tasks, sqlite_where=open_tasks)
    op.create_index('ix_task_breadth_first', 'task', ['project_id', sa.text('priority_0 DESC'), 'n_task_runs', 'id'],
                    postgresql_where=open_tasks, sqlite_where=open_tasks)
    op.create_index('ix_task_priority', 'task', ['project_id', sa.text('priority_0 DESC'), 'id'],
                    postgresql_where=open_tasks, sqlite_where=open_tasks)
    op.execute("UPDATE task SET n_task_runs = (SELECT count(*) FROM task_run WHERE task_run.task_id = task.id)")

    with op.batch_alter_table('task_run', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_task_run_task_id_external_uid', ['task_id', 'external_uid'])
        batch_op.create_unique_constraint('uq_task_run_task_id_user_id', ['task_id', 'user_id'])
        batch_op.create_unique_constraint('uq_task_run_task_id_user_ip', ['task_id', 'user_ip'])


def downgrade() -> None:
    with op.batch_alter_table('task_run', schema=None) as batch_op:
        batch_op.drop_constraint('uq_task_run_task_id_user_ip', type_='unique')
        batch_op.drop_constraint('uq_task_run_task_id_user_id', type_='unique')
        batch_op.drop_constraint('uq_task_run_task_id_external_uid', type_='unique')

    op.drop_index('ix_task_priority', 'task')
    op.drop_index('ix_task_breadth_first', 'task')
    op.drop_index('ix_task_depth_first', 'task')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('n_task_runs')

    with op.batch_alter_table('task_handout', schema=None) as batch_op:
        batch_op.drop_index('ix_task_handout_task_id_expires')
        batch_op.drop_index('ix_task_handout_project_id_caller')

    op.drop_table('task_handout')
