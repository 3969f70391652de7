"""meetings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 17:33:55.619676
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meetings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('fellowship', sa.String(length=40), nullable=True),
    sa.Column('types', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('place', sa.String(length=8), nullable=True),
    sa.Column('channel_id', sa.BigInteger(), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('facilitator_role_id', sa.BigInteger(), nullable=True),
    sa.Column('ping_role_id', sa.BigInteger(), nullable=True),
    sa.Column('rule', sa.String(length=300), nullable=False),
    sa.Column('local_time', sa.Time(), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('skipped_dates', sa.JSON(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('event_start', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('event_problem', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('guild_id', 'slug', name=op.f('uq_meetings_guild_id'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_guild_id'), ['guild_id'], unique=False)

    op.create_table('meeting_reminder_opt_ins',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('offset_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_reminder_opt_ins_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_reminder_opt_ins')),
    sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_meeting_reminder_opt_ins_meeting_id'))
    )
    with op.batch_alter_table('meeting_reminder_opt_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_reminder_opt_ins_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_reminder_opt_ins_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_reminder_offsets', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.drop_column('meeting_reminder_offsets')

    with op.batch_alter_table('meeting_reminder_opt_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_reminder_opt_ins_user_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_reminder_opt_ins_meeting_id'))

    op.drop_table('meeting_reminder_opt_ins')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_guild_id'))

    op.drop_table('meetings')
