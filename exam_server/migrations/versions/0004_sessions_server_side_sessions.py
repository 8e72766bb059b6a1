"""server-side login sessions, seat-bound login codes, expiring API tokens

Revision ID: 0004_sessions
Revises: 0003_results
Create Date: 2026-12-01 22:45:00
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import exam_server.db

revision = '0004_sessions'
down_revision = '0003_results'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('created_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', exam_server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_login_sessions_registration_id_registrations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_login_sessions'))
    )
    op.create_index(op.f('ix_login_sessions_expires_at'), 'login_sessions', ['expires_at'], unique=False)
    op.create_index(op.f('ix_login_sessions_registration_id'), 'login_sessions', ['registration_id'], unique=False)
    op.create_index(op.f('ix_login_sessions_user_id'), 'login_sessions', ['user_id'], unique=False)
    with op.batch_alter_table('login_codes') as batch:
        batch.add_column(sa.Column('seat_bound', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('expires_at', exam_server.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('last_used_at', exam_server.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f('fk_api_tokens_revoked_by_id_users'), 'users', ['revoked_by_id'], ['id'])
    # Tokens made before they could expire get 30 days from now (then they need replacing).
    tokens = sa.table('api_tokens', sa.column('expires_at', exam_server.db.UTCDateTime(timezone=True)))
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None))
               .values(expires_at=exam_server.db.utcnow() + timedelta(days=30)))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_constraint(op.f('fk_api_tokens_revoked_by_id_users'), type_='foreignkey')
        batch.drop_column('last_used_at')
        batch.drop_column('revoked_by_id')
        batch.drop_column('expires_at')
    with op.batch_alter_table('login_codes') as batch:
        batch.drop_column('seat_bound')
    op.drop_index(op.f('ix_login_sessions_user_id'), table_name='login_sessions')
    op.drop_index(op.f('ix_login_sessions_registration_id'), table_name='login_sessions')
    op.drop_index(op.f('ix_login_sessions_expires_at'), table_name='login_sessions')
    op.drop_table('login_sessions')
