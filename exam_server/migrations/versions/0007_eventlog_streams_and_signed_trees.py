"""event log: chains per stream, per-sitting Merkle trees with signed heads; paper revisions

Revision ID: 0007_eventlog
Revises: 0006_bank

Existing entries keep their hashes: each old per-sitting chain becomes the stream
`legacy:<sitting>` (format 1, verified by the old rule), its tip moves from `event_heads` to
`event_chains`, and the sequencer folds the entries into the sitting's tree on its first round.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_eventlog'
down_revision = '0006_bank'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('stream_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('leaf_index', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('format', sa.SmallInteger(), nullable=False, server_default='2'))
    op.execute("UPDATE events SET stream = 'legacy:' || CAST(chain AS VARCHAR), stream_seq = seq, format = 1")
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('stream', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('stream_seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index('ix_events_stream_seq', ['stream', 'stream_seq'], unique=True)
        batch_op.create_index('ix_events_chain_leaf', ['chain', 'leaf_index'], unique=True)

    op.create_table('event_chains',
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('chain', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_event_chains'))
    )
    with op.batch_alter_table('event_chains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_chains_chain'), ['chain'], unique=False)
    op.execute("INSERT INTO event_chains (stream, chain, seq, hash) "
               "SELECT 'legacy:' || CAST(chain AS VARCHAR), chain, seq, hash FROM event_heads")
    op.drop_table('event_heads')

    op.create_table('event_trees',
    sa.Column('chain', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.JSON(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_event_trees'))
    )
    op.create_table('event_tree_heads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.BigInteger(), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('signer', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_tree_heads'))
    )
    with op.batch_alter_table('event_tree_heads', schema=None) as batch_op:
        batch_op.create_index('ix_event_tree_heads_chain_size', ['chain', 'tree_size'], unique=True)

    # A key correction bumps the paper's revision; every process's cached copy checks it.
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))

    if op.get_bind().dialect.name == 'postgresql':
        # New entries are numbered after every migrated one, so (chain, seq) stays unique.
        start = op.get_bind().execute(sa.text("SELECT COALESCE(MAX(seq), 0) + 1 FROM events")).scalar_one()
        op.execute(f"CREATE SEQUENCE event_seq START WITH {int(start)}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM events WHERE format <> 1")).scalar_one():
        raise RuntimeError("events appended after 0007_eventlog cannot be expressed in per-sitting chains")
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_column('revision')
    if bind.dialect.name == 'postgresql':
        op.execute("DROP SEQUENCE IF EXISTS event_seq")
    with op.batch_alter_table('event_tree_heads', schema=None) as batch_op:
        batch_op.drop_index('ix_event_tree_heads_chain_size')
    op.drop_table('event_tree_heads')
    op.drop_table('event_trees')
    op.create_table('event_heads',
    sa.Column('chain', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_event_heads'))
    )
    op.execute("INSERT INTO event_heads (chain, seq, hash) SELECT chain, seq, hash FROM event_chains")
    with op.batch_alter_table('event_chains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_chains_chain'))
    op.drop_table('event_chains')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_chain_leaf')
        batch_op.drop_index('ix_events_stream_seq')
        batch_op.drop_column('format')
        batch_op.drop_column('leaf_index')
        batch_op.drop_column('stream_seq')
        batch_op.drop_column('stream')
