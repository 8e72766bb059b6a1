"""paper keys: one AES-256-GCM key per paper code of a sitting (papers delivered encrypted)

Revision ID: 0008_paper_keys
Revises: 0007_eventlog

Every paper code that exists already gets its key here (a sitting open during the upgrade
keeps working); later ones get theirs when check-in opens.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import exam_server.db

revision = '0008_paper_keys'
down_revision = '0007_eventlog'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('paper_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_paper_keys_sitting_id_sittings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_keys')),
    sa.UniqueConstraint('sitting_id', 'code', name=op.f('uq_paper_keys_sitting_id_code'))
    )
    with op.batch_alter_table('paper_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_keys_sitting_id'), ['sitting_id'], unique=False)
    bind = op.get_bind()
    codes = bind.execute(sa.text("SELECT DISTINCT sitting_id, code FROM papers")).all()
    if codes:
        keys = sa.table('paper_keys', sa.column('sitting_id', sa.Integer()), sa.column('code', sa.String()),
                        sa.column('key', sa.LargeBinary()),
                        sa.column('created_at', exam_server.db.UTCDateTime(timezone=True)))
        now = exam_server.db.utcnow()
        op.bulk_insert(keys, [{"sitting_id": sitting_id, "code": code, "key": secrets.token_bytes(32),
                               "created_at": now} for sitting_id, code in codes])


def downgrade() -> None:
    with op.batch_alter_table('paper_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_keys_sitting_id'))
    op.drop_table('paper_keys')
