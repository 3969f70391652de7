"""reach-out: volunteers, settings, requests, pings, anonymous blocks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 22:46:04.999787
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.encryption
import bot.db.types


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('anon_blocks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('author_key', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('blocked_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anon_blocks')),
    sa.UniqueConstraint('guild_id', 'author_key', name=op.f('uq_anon_blocks_guild_id'))
    )
    op.create_table('reachout_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('message', bot.db.encryption.EncryptedText(), nullable=True),
    sa.Column('requester_id', sa.BigInteger(), nullable=True),
    sa.Column('origin_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('requester_secret', bot.db.encryption.EncryptedText(), nullable=True),
    sa.Column('author_key', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.BigInteger(), nullable=True),
    sa.Column('claimed_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('card_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('card_message_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reachout_requests'))
    )
    with op.batch_alter_table('reachout_requests', schema=None) as batch_op:
        batch_op.create_index('ix_reachout_requests_guild_author', ['guild_id', 'author_key'], unique=False)
        batch_op.create_index('ix_reachout_requests_guild_created', ['guild_id', 'created_at'], unique=False)

    op.create_table('reachout_settings',
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('max_open', sa.Integer(), nullable=False),
    sa.Column('daily_pings', sa.Integer(), nullable=False),
    sa.Column('missed_before_away', sa.Integer(), nullable=False),
    sa.Column('cooldown_minutes', sa.Integer(), nullable=False),
    sa.Column('ping_count', sa.Integer(), nullable=False),
    sa.Column('next_volunteers_after', sa.Integer(), nullable=False),
    sa.Column('moderators_after', sa.Integer(), nullable=False),
    sa.Column('tell_requester_after', sa.Integer(), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', name=op.f('pk_reachout_settings'))
    )
    op.create_table('volunteers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('available_until', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hours', sa.String(length=300), nullable=True),
    sa.Column('zone', sa.String(length=64), nullable=True),
    sa.Column('missed_in_a_row', sa.Integer(), nullable=False),
    sa.Column('joined_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteers')),
    sa.UniqueConstraint('guild_id', 'user_id', name=op.f('uq_volunteers_guild_id'))
    )
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteers_guild_id'), ['guild_id'], unique=False)

    op.create_table('reachout_pings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('pinged_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('missed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['reachout_requests.id'], name=op.f('fk_reachout_pings_request_id_reachout_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reachout_pings')),
    sa.UniqueConstraint('request_id', 'volunteer_id', name=op.f('uq_reachout_pings_request_id'))
    )
    with op.batch_alter_table('reachout_pings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reachout_pings_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_reachout_pings_volunteer', ['guild_id', 'volunteer_id', 'pinged_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reachout_pings', schema=None) as batch_op:
        batch_op.drop_index('ix_reachout_pings_volunteer')
        batch_op.drop_index(batch_op.f('ix_reachout_pings_request_id'))

    op.drop_table('reachout_pings')
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteers_guild_id'))

    op.drop_table('volunteers')
    op.drop_table('reachout_settings')
    with op.batch_alter_table('reachout_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_reachout_requests_guild_created')
        batch_op.drop_index('ix_reachout_requests_guild_author')

    op.drop_table('reachout_requests')
    op.drop_table('anon_blocks')
