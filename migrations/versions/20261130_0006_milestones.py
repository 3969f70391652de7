"""milestones: members' clean dates, announcement choices, due instants, the ledger of celebrations; a server's
milestone schedule and announcement hour

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 23:56:07.135298
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.encryption
import bot.db.types


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('milestone_celebrations',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('member_key', sa.String(length=64), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('celebrated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_milestone_celebrations'))
    )
    with op.batch_alter_table('milestone_celebrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_celebrations_member_key'), ['member_key'], unique=False)

    op.create_table('milestone_choices',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'guild_id', name=op.f('pk_milestone_choices'))
    )
    op.create_table('milestones',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('label', bot.db.encryption.EncryptedText(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_user_id'), ['user_id'], unique=False)

    op.create_table('milestone_due',
    sa.Column('milestone_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('next_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_due_milestone_id_milestones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('milestone_id', 'guild_id', name=op.f('pk_milestone_due'))
    )
    with op.batch_alter_table('milestone_due', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_due_next_at', ['next_at'], unique=False)

    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestone_schedule', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('milestone_custom', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('milestone_hour', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('guild_settings', schema=None) as batch_op:
        batch_op.drop_column('milestone_hour')
        batch_op.drop_column('milestone_custom')
        batch_op.drop_column('milestone_schedule')

    with op.batch_alter_table('milestone_due', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_due_next_at')

    op.drop_table('milestone_due')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_user_id'))

    op.drop_table('milestones')
    op.drop_table('milestone_choices')
    with op.batch_alter_table('milestone_celebrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_celebrations_member_key'))

    op.drop_table('milestone_celebrations')
