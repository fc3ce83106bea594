"""answers of the last 24 hours per volunteer and per project, kept with each answer; the site's users and projects

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:30:00.000000

``user_day`` and ``project_day`` hold each signed-in volunteer's and each project's answers in the
hours from ``day_window.start`` on, with an index on the count: ``/stats/``'s two top 5s read their
first rows instead of adding up a day of ``user_hour`` and ``project_hour``.  Triggers on
``task_run`` count an answer whose hour is in the window; the first reader in a new hour moves the
window and subtracts the hours it passed, once (``figure_counts.advance_day``).  On PostgreSQL the
trigger is a deferred constraint trigger, run at commit, so a project's single row is locked only
while an answer commits; it holds ``DAY_LOCK`` shared, the reader moving the window holds it alone.
``site_counts`` gains the site's users and published and draft projects, kept by triggers on
``user`` and ``project``, so ``/stats/``'s totals count no table either.
The upgrade fills the tables from the hour counters and the tables (``pybossa rebuild-figures``
does the same).
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

DAY_LOCK = 7_205_000_015

# Run by exec_driver_sql (SQLite's hour format's colons are not bound parameters), as in 0012.
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {row}.created)"
SQLITE_START = "(SELECT start FROM day_window WHERE id = 1)"
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER figures_day_insert AFTER INSERT ON task_run WHEN {SQLITE_HOUR.format(row="NEW")} >= {SQLITE_START} BEGIN
    INSERT INTO project_day (project_id, n) VALUES (NEW.project_id, 1) ON CONFLICT (project_id) DO UPDATE SET n = n + 1;
    INSERT INTO user_day (user_id, n) SELECT NEW.user_id, 1 WHERE NEW.user_id IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER figures_day_delete AFTER DELETE ON task_run WHEN {SQLITE_HOUR.format(row="OLD")} >= {SQLITE_START} BEGIN
    UPDATE project_day SET n = n - 1 WHERE project_id = OLD.project_id;
    DELETE FROM project_day WHERE project_id = OLD.project_id AND n <= 0;
    UPDATE user_day SET n = n - 1 WHERE user_id = OLD.user_id;
    DELETE FROM user_day WHERE user_id = OLD.user_id AND n <= 0;
    END""",
]
# The site's users and projects, in site_counts' one row (a user's or project's write is rare).
SQLITE_SITE_TRIGGERS = [
    """CREATE TRIGGER figures_user_insert AFTER INSERT ON "user" BEGIN
    UPDATE site_counts SET n_users = n_users + 1 WHERE id = 1;
    END""",
    """CREATE TRIGGER figures_user_delete AFTER DELETE ON "user" BEGIN
    UPDATE site_counts SET n_users = n_users - 1 WHERE id = 1;
    END""",
    """CREATE TRIGGER figures_project_insert AFTER INSERT ON project BEGIN
    UPDATE site_counts SET n_published_projects = n_published_projects + (NEW.published IS 1),
        n_draft_projects = n_draft_projects + (NEW.published IS 0) WHERE id = 1;
    END""",
    """CREATE TRIGGER figures_project_delete AFTER DELETE ON project BEGIN
    UPDATE site_counts SET n_published_projects = n_published_projects - (OLD.published IS 1),
        n_draft_projects = n_draft_projects - (OLD.published IS 0) WHERE id = 1;
    END""",
    """CREATE TRIGGER figures_project_update AFTER UPDATE OF published ON project
    WHEN OLD.published IS NOT NEW.published BEGIN
    UPDATE site_counts SET n_published_projects = n_published_projects + (NEW.published IS 1) - (OLD.published IS 1),
        n_draft_projects = n_draft_projects + (NEW.published IS 0) - (OLD.published IS 0) WHERE id = 1;
    END""",
]
POSTGRESQL_SITE_FUNCTIONS = [
    """CREATE FUNCTION figures_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'user' THEN
        UPDATE site_counts SET n_users = n_users + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END WHERE id = 1;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE site_counts SET n_published_projects = n_published_projects + (NEW.published IS TRUE)::int,
            n_draft_projects = n_draft_projects + (NEW.published IS FALSE)::int WHERE id = 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE site_counts SET n_published_projects = n_published_projects - (OLD.published IS TRUE)::int,
            n_draft_projects = n_draft_projects - (OLD.published IS FALSE)::int WHERE id = 1;
    ELSE
        UPDATE site_counts SET
            n_published_projects = n_published_projects + (NEW.published IS TRUE)::int - (OLD.published IS TRUE)::int,
            n_draft_projects = n_draft_projects + (NEW.published IS FALSE)::int - (OLD.published IS FALSE)::int WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$""",
    'CREATE TRIGGER figures_site_user AFTER INSERT OR DELETE ON "user" FOR EACH ROW EXECUTE FUNCTION figures_site()',
    "CREATE TRIGGER figures_site_project AFTER INSERT OR DELETE ON project FOR EACH ROW EXECUTE FUNCTION figures_site()",
    "CREATE TRIGGER figures_site_project_update AFTER UPDATE OF published ON project FOR EACH ROW "
    "WHEN (OLD.published IS DISTINCT FROM NEW.published) EXECUTE FUNCTION figures_site()",
]
POSTGRESQL_FUNCTIONS = [
    f"""CREATE FUNCTION figures_day() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first timestamp;
    gone boolean;
BEGIN
    -- Shared with other answers; a reader moving the window holds it alone (figure_counts.advance_day).
    PERFORM pg_advisory_xact_lock_shared({DAY_LOCK});
    SELECT start INTO first FROM day_window WHERE id = 1;
    IF TG_OP = 'INSERT' THEN
        IF date_trunc('hour', NEW.created) >= first THEN
            -- Run at commit: the project or user may have been deleted since the answer.
            INSERT INTO project_day AS d (project_id, n) SELECT NEW.project_id, 1
            WHERE EXISTS (SELECT 1 FROM project WHERE id = NEW.project_id)
            ON CONFLICT (project_id) DO UPDATE SET n = d.n + 1;
            IF NEW.user_id IS NOT NULL THEN
                INSERT INTO user_day AS d (user_id, n) SELECT NEW.user_id, 1
                WHERE EXISTS (SELECT 1 FROM "user" WHERE id = NEW.user_id)
                ON CONFLICT (user_id) DO UPDATE SET n = d.n + 1;
            END IF;
        END IF;
    ELSIF date_trunc('hour', OLD.created) >= first THEN
        UPDATE project_day SET n = n - 1 WHERE project_id = OLD.project_id RETURNING n <= 0 INTO gone;
        IF coalesce(gone, false) THEN
            DELETE FROM project_day WHERE project_id = OLD.project_id;
        END IF;
        IF OLD.user_id IS NOT NULL THEN
            gone := false;
            UPDATE user_day SET n = n - 1 WHERE user_id = OLD.user_id RETURNING n <= 0 INTO gone;
            IF coalesce(gone, false) THEN
                DELETE FROM user_day WHERE user_id = OLD.user_id;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
    "CREATE CONSTRAINT TRIGGER figures_day_task_run AFTER INSERT OR DELETE ON task_run "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION figures_day()",
]


def upgrade() -> None:
    op.create_table(
        'day_window',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('start', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_day_window')),
    )
    op.create_table(
        'user_day',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_day_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_day')),
    )
    op.create_index('ix_user_day_top', 'user_day', [sa.text('n DESC'), 'user_id'])
    op.create_table(
        'project_day',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_day_project_id_project'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project_day')),
    )
    op.create_index('ix_project_day_top', 'project_day', [sa.text('n DESC'), 'project_id'])
    for column in ('n_users', 'n_published_projects', 'n_draft_projects'):
        op.add_column('site_counts', sa.Column(column, sa.Integer(), server_default='0', nullable=False))
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for statement in (POSTGRESQL_FUNCTIONS + POSTGRESQL_SITE_FUNCTIONS if postgresql else SQLITE_TRIGGERS + SQLITE_SITE_TRIGGERS):
        bind.exec_driver_sql(statement)
    from pybossa_core.models.figure_counts import rebuild_day, rebuild_site

    rebuild_day(bind)
    rebuild_site(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER figures_day_task_run ON task_run")
        op.execute("DROP FUNCTION figures_day()")
        op.execute("DROP TRIGGER figures_site_project_update ON project")
        op.execute("DROP TRIGGER figures_site_project ON project")
        op.execute('DROP TRIGGER figures_site_user ON "user"')
        op.execute("DROP FUNCTION figures_site()")
    else:
        op.execute("DROP TRIGGER figures_day_delete")
        op.execute("DROP TRIGGER figures_day_insert")
        for name in ("user_insert", "user_delete", "project_insert", "project_delete", "project_update"):
            op.execute(f"DROP TRIGGER figures_{name}")
    # ALTER TABLE, not alembic's batch copy on SQLite: 0012's triggers name site_counts.
    for column in ('n_users', 'n_published_projects', 'n_draft_projects'):
        bind.exec_driver_sql(f"ALTER TABLE site_counts DROP COLUMN {column}")
    op.drop_index('ix_project_day_top', table_name='project_day')
    op.drop_table('project_day')
    op.drop_index('ix_user_day_top', table_name='user_day')
    op.drop_table('user_day')
    op.drop_table('day_window')
