"""volunteer reliability: each volunteer's gold answers per project

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 19:40:00.000000

``volunteer_reliability`` counts, per project and volunteer (``user:<id>``,
``external:<uid>`` or ``anon:<anonymised ip>``, as handouts name callers), the gold answers
given and how many were right; each gold answer adds to it in its own transaction.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'volunteer_reliability',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('volunteer', sa.String(length=300), nullable=False),
        sa.Column('n_gold', sa.Integer(), nullable=False),
        sa.Column('n_correct', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_volunteer_reliability_project_id_project'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_reliability')),
        sa.UniqueConstraint('project_id', 'volunteer', name=op.f('uq_volunteer_reliability_project_id')),
    )


def downgrade() -> None:
    op.drop_table('volunteer_reliability')
