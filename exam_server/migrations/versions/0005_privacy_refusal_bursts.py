"""refused saves coalesced per burst (issue #12)

Revision ID: 0005_privacy
Revises: 0004_sessions
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exam_server.db

revision = '0005_privacy'
down_revision = '0004_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('save_refusal_bursts',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('first_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('logged', sa.Integer(), nullable=False),
    sa.Column('last_question', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_save_refusal_bursts_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('attempt_id', 'code', name=op.f('pk_save_refusal_bursts'))
    )


def downgrade() -> None:
    op.drop_table('save_refusal_bursts')
