"""meeting feeds: feeds kept in sync from a URL; phone, notes, in-person place and feed origin on meetings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 20:49:08.989015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meeting_feeds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('sync_daily', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('checked_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('synced_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('problem', sa.String(length=500), nullable=True),
    sa.Column('etag', sa.String(length=300), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_feeds')),
    sa.UniqueConstraint('guild_id', 'url', name=op.f('uq_meeting_feeds_guild_id'))
    )
    with op.batch_alter_table('meeting_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_feeds_guild_id'), ['guild_id'], unique=False)

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('venue', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('feed_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('feed_slug', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('listed_updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_meetings_feed_id'), ['feed_id'], unique=False)
        batch_op.create_index('ix_meetings_guild_feed_slug', ['guild_id', 'feed_slug'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_meetings_feed_id_meeting_feeds'), 'meeting_feeds', ['feed_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_feed_id_meeting_feeds'), type_='foreignkey')
        batch_op.drop_index('ix_meetings_guild_feed_slug')
        batch_op.drop_index(batch_op.f('ix_meetings_feed_id'))
        batch_op.drop_column('listed_updated_at')
        batch_op.drop_column('feed_slug')
        batch_op.drop_column('feed_id')
        batch_op.drop_column('address')
        batch_op.drop_column('venue')
        batch_op.drop_column('phone_notes')
        batch_op.drop_column('phone')
        batch_op.drop_column('url_notes')

    with op.batch_alter_table('meeting_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_feeds_guild_id'))

    op.drop_table('meeting_feeds')
