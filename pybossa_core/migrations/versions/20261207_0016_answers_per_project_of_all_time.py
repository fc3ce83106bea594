"""answers per project of all time, kept with each answer; the top volunteers' indexes by kind

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:30:00.000000

``project_total`` holds each project's answers, with an index on the count: the home page's most
active projects are its first rows, instead of every project's ``project_counts`` added up and
sorted.  Triggers on ``task_run`` count each answer and each delete; on PostgreSQL the trigger is a
deferred constraint trigger, run at commit (as 0015's ``figures_day_task_run``), so a project's
single row is locked only while an answer commits.  The upgrade fills it from ``task_run``
(``pybossa rebuild-figures`` does the same).

``ix_project_volunteer_top`` (project, answers) becomes two partial indexes, one per kind of
volunteer, on (project, answers, name): a project's top 5 anonymous volunteers were found by
reading past every signed-in one and sorting the ties; now they are the index's first rows.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER figures_total_insert AFTER INSERT ON task_run BEGIN
    INSERT INTO project_total (project_id, n) VALUES (NEW.project_id, 1) ON CONFLICT (project_id) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER figures_total_delete AFTER DELETE ON task_run BEGIN
    UPDATE project_total SET n = n - 1 WHERE project_id = OLD.project_id;
    DELETE FROM project_total WHERE project_id = OLD.project_id AND n <= 0;
    END""",
]
POSTGRESQL_FUNCTIONS = [
    """CREATE FUNCTION figures_total() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Run at commit: the project may have been deleted since the answer.
        INSERT INTO project_total AS t (project_id, n) SELECT NEW.project_id, 1
        WHERE EXISTS (SELECT 1 FROM project WHERE id = NEW.project_id)
        ON CONFLICT (project_id) DO UPDATE SET n = t.n + 1;
    ELSE
        UPDATE project_total SET n = n - 1 WHERE project_id = OLD.project_id RETURNING n <= 0 INTO gone;
        IF coalesce(gone, false) THEN
            DELETE FROM project_total WHERE project_id = OLD.project_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
    "CREATE CONSTRAINT TRIGGER figures_total_task_run AFTER INSERT OR DELETE ON task_run "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION figures_total()",
]


def _volunteer_indexes() -> None:
    for kind, where in (("auth", "user_id IS NOT NULL"), ("anon", "user_id IS NULL")):
        op.create_index(f'ix_project_volunteer_top_{kind}', 'project_volunteer',
                        ['project_id', sa.text('n_answers DESC'), 'who'],
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    op.create_table(
        'project_total',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_total_project_id_project'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project_total')),
    )
    op.create_index('ix_project_total_top', 'project_total', [sa.text('n DESC'), 'project_id'])
    _volunteer_indexes()
    op.drop_index('ix_project_volunteer_top', table_name='project_volunteer')
    bind = op.get_bind()
    for statement in (POSTGRESQL_FUNCTIONS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS):
        bind.exec_driver_sql(statement)
    from pybossa_core.models.figure_counts import rebuild_totals

    rebuild_totals(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER figures_total_task_run ON task_run")
        op.execute("DROP FUNCTION figures_total()")
    else:
        op.execute("DROP TRIGGER figures_total_delete")
        op.execute("DROP TRIGGER figures_total_insert")
    op.create_index('ix_project_volunteer_top', 'project_volunteer', ['project_id', sa.text('n_answers DESC')])
    for kind in ("auth", "anon"):
        op.drop_index(f'ix_project_volunteer_top_{kind}', table_name='project_volunteer')
    op.drop_index('ix_project_total_top', table_name='project_total')
    op.drop_table('project_total')
