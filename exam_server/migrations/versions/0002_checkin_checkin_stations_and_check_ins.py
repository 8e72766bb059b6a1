"""checkin stations, check-ins and policies

Revision ID: 0002_checkin
Revises: 0001_core
Create Date: 2026-11-23 17:56:55.303396
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exam_server.db

revision = '0002_checkin'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkin_stations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', exam_server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', exam_server.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_checkin_stations_issued_by_id_users')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_checkin_stations_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_stations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_checkin_stations_token_hash'))
    )
    with op.batch_alter_table('checkin_stations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_stations_room_id'), ['room_id'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('invigilator_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('citizen_id', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('verification', sa.JSON(), nullable=False),
    sa.Column('face', sa.JSON(), nullable=True),
    sa.Column('thumbnail', sa.LargeBinary(), nullable=True),
    sa.Column('station_name', sa.String(length=100), nullable=False),
    sa.Column('captured_at', exam_server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invigilator_id'], ['users.id'], name=op.f('fk_checkins_invigilator_id_users')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_checkins_registration_id_registrations')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_checkins_room_id_rooms')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_checkins_sitting_id_sittings')),
    sa.ForeignKeyConstraint(['station_id'], ['checkin_stations.id'], name=op.f('fk_checkins_station_id_checkin_stations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('client_id', name=op.f('uq_checkins_client_id'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkins_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_sitting_id'), ['sitting_id'], unique=False)

    op.create_table('checkin_policies',
    sa.Column('exam_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('liveness', sa.String(length=20), nullable=False),
    sa.Column('keep_face_thumbnails', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_checkin_policies_exam_id_exams')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_checkin_policies_updated_by_id_users')),
    sa.PrimaryKeyConstraint('exam_id', name=op.f('pk_checkin_policies'))
    )


def downgrade() -> None:
    op.drop_table('checkin_policies')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkins_sitting_id'))
        batch_op.drop_index(batch_op.f('ix_checkins_room_id'))
        batch_op.drop_index(batch_op.f('ix_checkins_registration_id'))

    op.drop_table('checkins')
    with op.batch_alter_table('checkin_stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_stations_room_id'))

    op.drop_table('checkin_stations')
