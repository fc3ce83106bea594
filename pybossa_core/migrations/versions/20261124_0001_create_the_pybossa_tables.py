"""create the pybossa tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 19:40:33.596599
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auditlog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('project_short_name', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=255), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('caller', sa.String(length=64), nullable=False),
    sa.Column('attribute', sa.String(length=255), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auditlog'))
    )
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditlog_project_id'), ['project_id'], unique=False)

    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('short_name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('name', name=op.f('uq_category_name')),
    sa.UniqueConstraint('short_name', name=op.f('uq_category_short_name'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('name', sa.String(length=254), nullable=False),
    sa.Column('fullname', sa.String(length=500), nullable=False),
    sa.Column('email_addr', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=254), nullable=False),
    sa.Column('api_key', sa.String(length=36), nullable=False),
    sa.Column('passwd_hash', sa.String(length=254), nullable=True),
    sa.Column('admin', sa.Boolean(), nullable=False),
    sa.Column('pro', sa.Boolean(), nullable=False),
    sa.Column('privacy_mode', sa.Boolean(), nullable=False),
    sa.Column('restrict', sa.Boolean(), nullable=False),
    sa.Column('category', sa.Integer(), nullable=True),
    sa.Column('flags', sa.Integer(), nullable=True),
    sa.Column('ckan_api', sa.Text(), nullable=True),
    sa.Column('newsletter_prompted', sa.Boolean(), nullable=False),
    sa.Column('valid_email', sa.Boolean(), nullable=False),
    sa.Column('confirmation_email_sent', sa.Boolean(), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('user_pref', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('api_key', name=op.f('uq_user_api_key')),
    sa.UniqueConstraint('email_addr', name=op.f('uq_user_email_addr')),
    sa.UniqueConstraint('name', name=op.f('uq_user_name'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_created'), ['created'], unique=False)

    op.create_table('announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_announcement_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement'))
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_created'), ['created'], unique=False)

    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('short_name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('long_description', sa.Text(), nullable=False),
    sa.Column('webhook', sa.Text(), nullable=True),
    sa.Column('allow_anonymous_contributors', sa.Boolean(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('featured', sa.Boolean(), nullable=False),
    sa.Column('secret_key', sa.String(length=255), nullable=False),
    sa.Column('zip_download', sa.Boolean(), nullable=False),
    sa.Column('contacted', sa.Boolean(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('owners_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_project_category_id_category'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_project_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('name', name=op.f('uq_project_name')),
    sa.UniqueConstraint('short_name', name=op.f('uq_project_short_name'))
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_featured'), ['featured'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_published'), ['published'], unique=False)

    op.create_table('blogpost',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_blogpost_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_blogpost_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blogpost'))
    )
    with op.batch_alter_table('blogpost', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blogpost_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_blogpost_project_id'), ['project_id'], unique=False)

    op.create_table('helpingmaterial',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('priority', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_helpingmaterial_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpingmaterial'))
    )
    with op.batch_alter_table('helpingmaterial', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_helpingmaterial_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_helpingmaterial_project_id'), ['project_id'], unique=False)

    op.create_table('page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=255), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_page_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page'))
    )
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_page_project_id'), ['project_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('calibration', sa.Integer(), nullable=False),
    sa.Column('priority_0', sa.Float(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('n_answers', sa.Integer(), nullable=False),
    sa.Column('fav_user_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_task_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_created'), ['created'], unique=False)
        batch_op.create_index('ix_task_project_id_id', ['project_id', 'id'], unique=False)
        batch_op.create_index('ix_task_project_id_state', ['project_id', 'state'], unique=False)

    op.create_table('webhook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('response_status_code', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_webhook_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook'))
    )
    with op.batch_alter_table('webhook', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_project_id'), ['project_id'], unique=False)

    op.create_table('result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('task_run_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_version', sa.Boolean(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_result_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_result_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result'))
    )
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_created'), ['created'], unique=False)
        batch_op.create_index('ix_result_project_id_id', ['project_id', 'id'], unique=False)
        batch_op.create_index('ix_result_task_id', ['task_id'], unique=False)

    op.create_table('task_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_ip', sa.String(length=64), nullable=True),
    sa.Column('external_uid', sa.String(length=255), nullable=True),
    sa.Column('finish_time', sa.DateTime(), nullable=False),
    sa.Column('timeout', sa.Integer(), nullable=True),
    sa.Column('calibration', sa.Integer(), nullable=True),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_task_run_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_run_task_id_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_task_run_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_run'))
    )
    with op.batch_alter_table('task_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_run_created'), ['created'], unique=False)
        batch_op.create_index('ix_task_run_project_id_id', ['project_id', 'id'], unique=False)
        batch_op.create_index('ix_task_run_task_id', ['task_id'], unique=False)
        batch_op.create_index('ix_task_run_user_id', ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('task_run', schema=None) as batch_op:
        batch_op.drop_index('ix_task_run_user_id')
        batch_op.drop_index('ix_task_run_task_id')
        batch_op.drop_index('ix_task_run_project_id_id')
        batch_op.drop_index(batch_op.f('ix_task_run_created'))

    op.drop_table('task_run')
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_index('ix_result_task_id')
        batch_op.drop_index('ix_result_project_id_id')
        batch_op.drop_index(batch_op.f('ix_result_created'))

    op.drop_table('result')
    with op.batch_alter_table('webhook', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_project_id'))

    op.drop_table('webhook')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_project_id_state')
        batch_op.drop_index('ix_task_project_id_id')
        batch_op.drop_index(batch_op.f('ix_task_created'))

    op.drop_table('task')
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_project_id'))
        batch_op.drop_index(batch_op.f('ix_page_created'))

    op.drop_table('page')
    with op.batch_alter_table('helpingmaterial', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_helpingmaterial_project_id'))
        batch_op.drop_index(batch_op.f('ix_helpingmaterial_created'))

    op.drop_table('helpingmaterial')
    with op.batch_alter_table('blogpost', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blogpost_project_id'))
        batch_op.drop_index(batch_op.f('ix_blogpost_created'))

    op.drop_table('blogpost')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_published'))
        batch_op.drop_index(batch_op.f('ix_project_owner_id'))
        batch_op.drop_index(batch_op.f('ix_project_featured'))
        batch_op.drop_index(batch_op.f('ix_project_created'))
        batch_op.drop_index(batch_op.f('ix_project_category_id'))

    op.drop_table('project')
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_created'))

    op.drop_table('announcement')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_created'))

    op.drop_table('user')
    op.drop_table('category')
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditlog_project_id'))

    op.drop_table('auditlog')
