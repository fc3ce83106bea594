"""answers per signed-in volunteer and hour, for /stats/'s lists of the last 24 hours

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:00:00.000000

``user_hour`` (a volunteer's answers per hour), kept by triggers on ``task_run`` in the writing
statement's transaction as the counters of 0012 are, and an index on ``project_hour.hour``: the two
top-5 lists of ``/stats/`` add up the last day's hours instead of reading its task runs.  The upgrade
fills ``user_hour`` from the existing answers (``pybossa rebuild-figures`` does the same).
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Run by exec_driver_sql (SQLite's hour format's colons are not bound parameters), as in 0012.
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {row}.created)"
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER figures_user_hour_insert AFTER INSERT ON task_run WHEN NEW.user_id IS NOT NULL BEGIN
    INSERT INTO user_hour (hour, user_id, n) VALUES ({SQLITE_HOUR.format(row="NEW")}, NEW.user_id, 1)
    ON CONFLICT (hour, user_id) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER figures_user_hour_delete AFTER DELETE ON task_run WHEN OLD.user_id IS NOT NULL BEGIN
    UPDATE user_hour SET n = n - 1 WHERE hour = {SQLITE_HOUR.format(row="OLD")} AND user_id = OLD.user_id;
    DELETE FROM user_hour WHERE hour = {SQLITE_HOUR.format(row="OLD")} AND user_id = OLD.user_id AND n <= 0;
    END""",
]
POSTGRESQL_FUNCTIONS = [
    """CREATE FUNCTION figures_user_hour() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_hour AS h (hour, user_id, n) VALUES (date_trunc('hour', NEW.created), NEW.user_id, 1)
        ON CONFLICT (hour, user_id) DO UPDATE SET n = h.n + 1;
    ELSE
        UPDATE user_hour SET n = n - 1 WHERE hour = date_trunc('hour', OLD.created) AND user_id = OLD.user_id
        RETURNING n <= 0 INTO gone;
        IF coalesce(gone, false) THEN
            DELETE FROM user_hour WHERE hour = date_trunc('hour', OLD.created) AND user_id = OLD.user_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER figures_user_hour_insert AFTER INSERT ON task_run FOR EACH ROW WHEN (NEW.user_id IS NOT NULL) "
    "EXECUTE FUNCTION figures_user_hour()",
    "CREATE TRIGGER figures_user_hour_delete AFTER DELETE ON task_run FOR EACH ROW WHEN (OLD.user_id IS NOT NULL) "
    "EXECUTE FUNCTION figures_user_hour()",
]


def upgrade() -> None:
    op.create_table(
        'user_hour',
        sa.Column('hour', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_hour_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('hour', 'user_id', name=op.f('pk_user_hour')),
    )
    op.create_index('ix_project_hour_hour', 'project_hour', ['hour'])
    bind = op.get_bind()
    for statement in (POSTGRESQL_FUNCTIONS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS):
        bind.exec_driver_sql(statement)
    from pybossa_core.models.figure_counts import rebuild_user_hours

    rebuild_user_hours(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER figures_user_hour_delete ON task_run")
        op.execute("DROP TRIGGER figures_user_hour_insert ON task_run")
        op.execute("DROP FUNCTION figures_user_hour()")
    else:
        op.execute("DROP TRIGGER figures_user_hour_delete")
        op.execute("DROP TRIGGER figures_user_hour_insert")
    op.drop_index('ix_project_hour_hour', table_name='project_hour')
    op.drop_table('user_hour')
