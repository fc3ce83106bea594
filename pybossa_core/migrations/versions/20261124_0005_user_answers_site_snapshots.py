"""leaderboard and dashboard: users' answer counts, job-computed site snapshots

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 22:20:00.000000

``user.n_answers`` counts a user's task runs so the leaderboard ranks users through an index instead of counting task runs;
triggers on ``task_run`` keep it (the answer loop, cascaded deletes and raw SQL
alike); ``site_snapshot`` holds what the daily dashboard job computed.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


POSTGRESQL_COUNT = """
CREATE FUNCTION user_answers_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE "user" SET n_answers = n_answers + 1 WHERE id = NEW.user_id;
    ELSE
        UPDATE "user" SET n_answers = n_answers - 1 WHERE id = OLD.user_id;
    END IF;
    RETURN NULL;
END
$$
"""


def _count_answers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_COUNT)
        for event, row in (("insert", "NEW"), ("delete", "OLD")):
            op.execute(
                f"CREATE TRIGGER user_answers_{event} AFTER {event.upper()} ON task_run FOR EACH ROW "
                f"WHEN ({row}.user_id IS NOT NULL) EXECUTE FUNCTION user_answers_count()"
            )
    else:
        op.execute(
            'CREATE TRIGGER user_answers_insert AFTER INSERT ON task_run WHEN new.user_id IS NOT NULL BEGIN '
            'UPDATE "user" SET n_answers = n_answers + 1 WHERE id = new.user_id; END'
        )
        op.execute(
            'CREATE TRIGGER user_answers_delete AFTER DELETE ON task_run WHEN old.user_id IS NOT NULL BEGIN '
            'UPDATE "user" SET n_answers = n_answers - 1 WHERE id = old.user_id; END'
        )


def upgrade() -> None:
    # ADD COLUMN, not batch_alter_table: a rebuilt table would lose its search triggers (0004).
    op.add_column('user', sa.Column('n_answers', sa.Integer(), server_default='0', nullable=False))
    op.execute('UPDATE "user" SET n_answers = (SELECT count(*) FROM task_run WHERE task_run.user_id = "user".id)')
    _count_answers()
    op.create_index('ix_user_n_answers', 'user', [sa.text('n_answers DESC'), 'id'])
    op.create_table(
        'site_snapshot',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
        sa.Column('computed', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_site_snapshot')),
    )


def downgrade() -> None:
    op.drop_table('site_snapshot')
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "delete"):
            op.execute(f"DROP TRIGGER user_answers_{event} ON task_run")
        op.execute("DROP FUNCTION user_answers_count()")
    else:
        for event in ("insert", "delete"):
            op.execute(f"DROP TRIGGER user_answers_{event}")
    op.drop_index('ix_user_n_answers', 'user')
    # Not batch_alter_table: SQLite would rebuild the table without its search triggers.
    op.execute('ALTER TABLE "user" DROP COLUMN n_answers')
