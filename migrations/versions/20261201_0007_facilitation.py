"""facilitation: meeting formats, runs of a meeting with their panel and share timer, speaking queues, who
shared, attendance

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:11:01.034484
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meeting_formats',
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('share_minutes', sa.Integer(), nullable=False),
    sa.Column('newcomers_first', sa.Boolean(), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_formats_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_formats'))
    )
    op.create_table('meeting_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('meeting_name', sa.String(length=100), nullable=False),
    sa.Column('occurrence', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('chair_id', sa.BigInteger(), nullable=False),
    sa.Column('chair_role_id', sa.BigInteger(), nullable=True),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('voice_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('panel_message_id', sa.BigInteger(), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('share_minutes', sa.Integer(), nullable=False),
    sa.Column('newcomers_first', sa.Boolean(), nullable=False),
    sa.Column('speaker_id', sa.BigInteger(), nullable=True),
    sa.Column('timer_ends_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('turn', sa.Integer(), nullable=False),
    sa.Column('shares', sa.Integer(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_runs_meeting_id_meetings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_runs'))
    )
    with op.batch_alter_table('meeting_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_runs_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index('ix_meeting_runs_open', ['guild_id', 'ended_at'], unique=False)

    op.create_table('meeting_attendance',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('present_since', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['meeting_runs.id'], name=op.f('fk_meeting_attendance_run_id_meeting_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'user_id', name=op.f('pk_meeting_attendance'))
    )
    op.create_table('meeting_queue',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('raised_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['meeting_runs.id'], name=op.f('fk_meeting_queue_run_id_meeting_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_queue')),
    sa.UniqueConstraint('run_id', 'user_id', name=op.f('uq_meeting_queue_run_id'))
    )
    with op.batch_alter_table('meeting_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_queue_run_id'), ['run_id'], unique=False)

    op.create_table('meeting_shared',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['meeting_runs.id'], name=op.f('fk_meeting_shared_run_id_meeting_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'user_id', name=op.f('pk_meeting_shared'))
    )


def downgrade() -> None:
    op.drop_table('meeting_shared')
    with op.batch_alter_table('meeting_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_queue_run_id'))

    op.drop_table('meeting_queue')
    op.drop_table('meeting_attendance')
    with op.batch_alter_table('meeting_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_runs_open')
        batch_op.drop_index(batch_op.f('ix_meeting_runs_meeting_id'))

    op.drop_table('meeting_runs')
    op.drop_table('meeting_formats')
