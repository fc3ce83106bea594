"""statistics that never recount: per-project counters, volunteers, answers per hour, anonymous addresses

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:00:00.000000

Triggers on ``task`` and ``task_run`` keep ``project_counts`` (tasks, completed tasks, answers,
volunteers, contribution time, last activity; ``SHARDS`` rows per project), ``project_volunteer``,
``project_hour``, ``anon_address`` and ``site_counts`` in the writing statement's transaction
(``pybossa_core.models.figures``); the upgrade fills them from the existing rows.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

SHARDS = 8


def _who(row: str) -> str:
    return (f"CASE WHEN {row}.user_id IS NOT NULL THEN 'u' || {row}.user_id "
            f"WHEN {row}.external_uid IS NOT NULL THEN 'x' || {row}.external_uid "
            f"ELSE 'a' || coalesce({row}.user_ip, '') END")


# Run by exec_driver_sql, so that SQLite's hour format's colons are not taken for bound parameters
# (PostgreSQL's use mod(), psycopg would read % as a placeholder).
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {row}.created)"
SQLITE_SECONDS = "coalesce((julianday({row}.finish_time) - julianday({row}.created)) * 86400.0, 0)"
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER figures_task_insert AFTER INSERT ON task BEGIN
    INSERT INTO project_counts (project_id, shard, n_tasks, n_completed_tasks)
    VALUES (NEW.project_id, NEW.id % {SHARDS}, 1, coalesce(NEW.state = 'completed', 0))
    ON CONFLICT (project_id, shard) DO UPDATE SET n_tasks = n_tasks + 1,
        n_completed_tasks = n_completed_tasks + excluded.n_completed_tasks;
    END""",
    f"""CREATE TRIGGER figures_task_delete AFTER DELETE ON task BEGIN
    UPDATE project_counts SET n_tasks = n_tasks - 1, n_completed_tasks = n_completed_tasks - coalesce(OLD.state = 'completed', 0)
    WHERE project_id = OLD.project_id AND shard = OLD.id % {SHARDS};
    END""",
    f"""CREATE TRIGGER figures_task_update AFTER UPDATE OF state, project_id ON task
    WHEN OLD.state IS NOT NEW.state OR OLD.project_id IS NOT NEW.project_id BEGIN
    UPDATE project_counts SET n_tasks = n_tasks - 1, n_completed_tasks = n_completed_tasks - coalesce(OLD.state = 'completed', 0)
    WHERE project_id = OLD.project_id AND shard = OLD.id % {SHARDS};
    INSERT INTO project_counts (project_id, shard, n_tasks, n_completed_tasks)
    VALUES (NEW.project_id, NEW.id % {SHARDS}, 1, coalesce(NEW.state = 'completed', 0))
    ON CONFLICT (project_id, shard) DO UPDATE SET n_tasks = n_tasks + 1,
        n_completed_tasks = n_completed_tasks + excluded.n_completed_tasks;
    END""",
    f"""CREATE TRIGGER figures_task_run_insert AFTER INSERT ON task_run BEGIN
    INSERT INTO project_counts (project_id, shard, n_task_runs, n_anon_task_runs, n_volunteers, n_anon_volunteers,
                                contrib_seconds, last_activity)
    SELECT NEW.project_id, NEW.task_id % {SHARDS}, 1, NEW.user_id IS NULL, fresh, fresh AND NEW.user_id IS NULL,
           {SQLITE_SECONDS.format(row="NEW")}, NEW.created
    FROM (SELECT NOT EXISTS (SELECT 1 FROM project_volunteer
                             WHERE project_id = NEW.project_id AND who = {_who("NEW")}) AS fresh)
    WHERE true
    ON CONFLICT (project_id, shard) DO UPDATE SET n_task_runs = n_task_runs + 1,
        n_anon_task_runs = n_anon_task_runs + excluded.n_anon_task_runs,
        n_volunteers = n_volunteers + excluded.n_volunteers,
        n_anon_volunteers = n_anon_volunteers + excluded.n_anon_volunteers,
        contrib_seconds = contrib_seconds + excluded.contrib_seconds,
        last_activity = max(coalesce(last_activity, excluded.last_activity), excluded.last_activity);
    INSERT INTO project_volunteer (project_id, who, user_id, n_answers) VALUES (NEW.project_id, {_who("NEW")}, NEW.user_id, 1)
    ON CONFLICT (project_id, who) DO UPDATE SET n_answers = n_answers + 1;
    INSERT INTO project_hour (project_id, hour, shard, n, n_anon)
    VALUES (NEW.project_id, {SQLITE_HOUR.format(row="NEW")}, NEW.task_id % {SHARDS}, 1, NEW.user_id IS NULL)
    ON CONFLICT (project_id, hour, shard) DO UPDATE SET n = n + 1, n_anon = n_anon + excluded.n_anon;
    UPDATE site_counts SET n_anon = n_anon + 1
    WHERE id = 1 AND NEW.user_id IS NULL AND NEW.user_ip IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM anon_address WHERE ip = NEW.user_ip);
    INSERT INTO anon_address (ip, n) SELECT NEW.user_ip, 1 WHERE NEW.user_id IS NULL AND NEW.user_ip IS NOT NULL
    ON CONFLICT (ip) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER figures_task_run_delete AFTER DELETE ON task_run BEGIN
    UPDATE project_counts SET n_task_runs = n_task_runs - 1, n_anon_task_runs = n_anon_task_runs - (OLD.user_id IS NULL),
        n_volunteers = n_volunteers - coalesce((SELECT n_answers = 1 FROM project_volunteer
                                                WHERE project_id = OLD.project_id AND who = {_who("OLD")}), 0),
        n_anon_volunteers = n_anon_volunteers - (OLD.user_id IS NULL AND coalesce(
            (SELECT n_answers = 1 FROM project_volunteer WHERE project_id = OLD.project_id AND who = {_who("OLD")}), 0)),
        contrib_seconds = contrib_seconds - {SQLITE_SECONDS.format(row="OLD")}
    WHERE project_id = OLD.project_id AND shard = OLD.task_id % {SHARDS};
    UPDATE project_volunteer SET n_answers = n_answers - 1 WHERE project_id = OLD.project_id AND who = {_who("OLD")};
    DELETE FROM project_volunteer WHERE project_id = OLD.project_id AND who = {_who("OLD")} AND n_answers <= 0;
    UPDATE project_hour SET n = n - 1, n_anon = n_anon - (OLD.user_id IS NULL)
    WHERE project_id = OLD.project_id AND hour = {SQLITE_HOUR.format(row="OLD")} AND shard = OLD.task_id % {SHARDS};
    UPDATE anon_address SET n = n - 1 WHERE OLD.user_id IS NULL AND ip = OLD.user_ip;
    UPDATE site_counts SET n_anon = n_anon - 1
    WHERE id = 1 AND OLD.user_id IS NULL AND EXISTS (SELECT 1 FROM anon_address WHERE ip = OLD.user_ip AND n <= 0);
    DELETE FROM anon_address WHERE OLD.user_id IS NULL AND ip = OLD.user_ip AND n <= 0;
    END""",
]

POSTGRESQL_FUNCTIONS = [
    f"""CREATE FUNCTION figures_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE project_counts SET n_tasks = n_tasks - 1,
            n_completed_tasks = n_completed_tasks - coalesce((OLD.state = 'completed')::int, 0)
        WHERE project_id = OLD.project_id AND shard = mod(OLD.id, {SHARDS});
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO project_counts AS c (project_id, shard, n_tasks, n_completed_tasks)
        VALUES (NEW.project_id, mod(NEW.id, {SHARDS}), 1, coalesce((NEW.state = 'completed')::int, 0))
        ON CONFLICT (project_id, shard) DO UPDATE SET n_tasks = c.n_tasks + 1,
            n_completed_tasks = c.n_completed_tasks + excluded.n_completed_tasks;
    END IF;
    RETURN NULL;
END
$$""",
    f"""CREATE FUNCTION figures_task_run() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    volunteer text;
    anon int;
    fresh boolean;
    gone boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        volunteer := {_who("NEW")};
        anon := (NEW.user_id IS NULL)::int;
        INSERT INTO project_volunteer AS v (project_id, who, user_id, n_answers) VALUES (NEW.project_id, volunteer, NEW.user_id, 1)
        ON CONFLICT (project_id, who) DO UPDATE SET n_answers = v.n_answers + 1 RETURNING (xmax = 0) INTO fresh;
        INSERT INTO project_counts AS c (project_id, shard, n_task_runs, n_anon_task_runs, n_volunteers, n_anon_volunteers,
                                         contrib_seconds, last_activity)
        VALUES (NEW.project_id, mod(NEW.task_id, {SHARDS}), 1, anon, fresh::int, (fresh AND NEW.user_id IS NULL)::int,
                coalesce(extract(epoch FROM NEW.finish_time - NEW.created), 0), NEW.created)
        ON CONFLICT (project_id, shard) DO UPDATE SET n_task_runs = c.n_task_runs + 1,
            n_anon_task_runs = c.n_anon_task_runs + excluded.n_anon_task_runs,
            n_volunteers = c.n_volunteers + excluded.n_volunteers,
            n_anon_volunteers = c.n_anon_volunteers + excluded.n_anon_volunteers,
            contrib_seconds = c.contrib_seconds + excluded.contrib_seconds,
            last_activity = GREATEST(c.last_activity, excluded.last_activity);
        INSERT INTO project_hour AS h (project_id, hour, shard, n, n_anon)
        VALUES (NEW.project_id, date_trunc('hour', NEW.created), mod(NEW.task_id, {SHARDS}), 1, anon)
        ON CONFLICT (project_id, hour, shard) DO UPDATE SET n = h.n + 1, n_anon = h.n_anon + excluded.n_anon;
        IF NEW.user_id IS NULL AND NEW.user_ip IS NOT NULL THEN
            INSERT INTO anon_address AS a (ip, n) VALUES (NEW.user_ip, 1)
            ON CONFLICT (ip) DO UPDATE SET n = a.n + 1 RETURNING (xmax = 0) INTO fresh;
            IF fresh THEN
                UPDATE site_counts SET n_anon = n_anon + 1 WHERE id = 1;
            END IF;
        END IF;
    ELSE
        volunteer := {_who("OLD")};
        anon := (OLD.user_id IS NULL)::int;
        UPDATE project_volunteer SET n_answers = n_answers - 1 WHERE project_id = OLD.project_id AND who = volunteer
        RETURNING n_answers <= 0 INTO gone;
        gone := coalesce(gone, false);
        IF gone THEN
            DELETE FROM project_volunteer WHERE project_id = OLD.project_id AND who = volunteer;
        END IF;
        UPDATE project_counts SET n_task_runs = n_task_runs - 1, n_anon_task_runs = n_anon_task_runs - anon,
            n_volunteers = n_volunteers - gone::int, n_anon_volunteers = n_anon_volunteers - (gone AND anon = 1)::int,
            contrib_seconds = contrib_seconds - coalesce(extract(epoch FROM OLD.finish_time - OLD.created), 0)
        WHERE project_id = OLD.project_id AND shard = mod(OLD.task_id, {SHARDS});
        UPDATE project_hour SET n = n - 1, n_anon = n_anon - anon
        WHERE project_id = OLD.project_id AND hour = date_trunc('hour', OLD.created) AND shard = mod(OLD.task_id, {SHARDS});
        IF OLD.user_id IS NULL AND OLD.user_ip IS NOT NULL THEN
            UPDATE anon_address SET n = n - 1 WHERE ip = OLD.user_ip RETURNING n <= 0 INTO gone;
            IF coalesce(gone, false) THEN
                DELETE FROM anon_address WHERE ip = OLD.user_ip;
                UPDATE site_counts SET n_anon = n_anon - 1 WHERE id = 1;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER figures_task_insert_delete AFTER INSERT OR DELETE ON task FOR EACH ROW EXECUTE FUNCTION figures_task()",
    "CREATE TRIGGER figures_task_update AFTER UPDATE OF state, project_id ON task FOR EACH ROW "
    "WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.project_id IS DISTINCT FROM NEW.project_id) "
    "EXECUTE FUNCTION figures_task()",
    "CREATE TRIGGER figures_task_run AFTER INSERT OR DELETE ON task_run FOR EACH ROW EXECUTE FUNCTION figures_task_run()",
]


def upgrade() -> None:
    op.create_table(
        'project_counts',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('shard', sa.Integer(), nullable=False),
        sa.Column('n_tasks', sa.Integer(), server_default='0', nullable=False),
        sa.Column('n_completed_tasks', sa.Integer(), server_default='0', nullable=False),
        sa.Column('n_task_runs', sa.Integer(), server_default='0', nullable=False),
        sa.Column('n_anon_task_runs', sa.Integer(), server_default='0', nullable=False),
        sa.Column('n_volunteers', sa.Integer(), server_default='0', nullable=False),
        sa.Column('n_anon_volunteers', sa.Integer(), server_default='0', nullable=False),
        sa.Column('contrib_seconds', sa.Float(), server_default='0', nullable=False),
        sa.Column('last_activity', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_counts_project_id_project'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', 'shard', name=op.f('pk_project_counts')),
    )
    op.create_table(
        'project_volunteer',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('who', sa.String(length=300), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('n_answers', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_volunteer_project_id_project'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', 'who', name=op.f('pk_project_volunteer')),
    )
    op.create_index('ix_project_volunteer_top', 'project_volunteer', ['project_id', sa.text('n_answers DESC')])
    op.create_table(
        'project_hour',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('hour', sa.DateTime(), nullable=False),
        sa.Column('shard', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('n_anon', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_hour_project_id_project'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', 'hour', 'shard', name=op.f('pk_project_hour')),
    )
    op.create_table(
        'anon_address',
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('ip', name=op.f('pk_anon_address')),
    )
    op.create_table(
        'site_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('n_anon', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_counts')),
    )
    bind = op.get_bind()
    for statement in (POSTGRESQL_FUNCTIONS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS):
        bind.exec_driver_sql(statement)
    from pybossa_core.models.figure_counts import rebuild_projects

    # The counters as the existing rows give them (the code ``pybossa rebuild-figures`` runs for these tables).
    rebuild_projects(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER figures_task_run ON task_run")
        op.execute("DROP TRIGGER figures_task_update ON task")
        op.execute("DROP TRIGGER figures_task_insert_delete ON task")
        op.execute("DROP FUNCTION figures_task_run()")
        op.execute("DROP FUNCTION figures_task()")
    else:
        for name in ("task_insert", "task_delete", "task_update", "task_run_insert", "task_run_delete"):
            op.execute(f"DROP TRIGGER figures_{name}")
    for table in ("site_counts", "anon_address", "project_hour", "project_volunteer", "project_counts"):
        op.drop_table(table)
