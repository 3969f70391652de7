"""core tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 17:08:56.383877
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('old_value', sa.String(length=200), nullable=True),
    sa.Column('new_value', sa.String(length=200), nullable=True),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_guild_created', ['guild_id', 'created_at'], unique=False)

    op.create_table('bot_state',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_bot_state'))
    )
    op.create_table('guild_settings',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('announcements_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('checkins_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('reachout_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('meetings_log_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('volunteer_role_id', sa.BigInteger(), nullable=True),
    sa.Column('facilitator_role_id', sa.BigInteger(), nullable=True),
    sa.Column('moderator_role_id', sa.BigInteger(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('crisis_region', sa.String(length=16), nullable=True),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', name=op.f('pk_guild_settings'))
    )
    op.create_table('jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('due_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('run_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('pending', 'running', 'done', 'dead', 'dropped', name='job_state', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('lease_until', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('key', name=op.f('uq_jobs_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_state_run_at', ['state', 'run_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state_run_at')

    op.drop_table('jobs')
    op.drop_table('guild_settings')
    op.drop_table('bot_state')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_guild_created')

    op.drop_table('audit_log')
