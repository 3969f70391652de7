"""check-ins: check-ins, reports on shared ones, daily reminders; a server's crisis words and share limit

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 23:16:55.142174
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.encryption
import bot.db.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checkin_reminders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('local_time', sa.Time(), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('tell_paused', sa.Boolean(), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_reminders')),
    sa.UniqueConstraint('user_id', name=op.f('uq_checkin_reminders_user_id'))
    )
    op.create_table('checkins',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_key', sa.String(length=64), nullable=True),
    sa.Column('mood', sa.Integer(), nullable=False),
    sa.Column('craving', sa.Integer(), nullable=False),
    sa.Column('note', bot.db.encryption.EncryptedText(), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=True),
    sa.Column('author_secret', bot.db.encryption.EncryptedText(), nullable=True),
    sa.Column('shared_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('post_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('post_message_id', sa.BigInteger(), nullable=True),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_author_day', ['author_key', 'local_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_guild_id'), ['guild_id'], unique=False)

    op.create_table('checkin_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checkin_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reporter_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_checkin_reports_checkin_id_checkins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_reports')),
    sa.UniqueConstraint('checkin_id', 'reporter_key', name=op.f('uq_checkin_reports_checkin_id'))
    )
    with op.batch_alter_table('checkin_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_reports_checkin_id'), ['checkin_id'], unique=False)

    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crisis_words', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('checkin_daily_shares', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.drop_column('checkin_daily_shares')
        batch_op.drop_column('crisis_words')

    with op.batch_alter_table('checkin_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_reports_checkin_id'))

    op.drop_table('checkin_reports')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkins_guild_id'))
        batch_op.drop_index('ix_checkins_author_day')

    op.drop_table('checkins')
    op.drop_table('checkin_reminders')
