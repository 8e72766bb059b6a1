"""question bank in the web: questions, their versions and tags, imports (issue #15)

Revision ID: 0006_bank
Revises: 0005_privacy
Create Date: 2026-12-01 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import exam_server.db

revision = '0006_bank'
down_revision = '0005_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_bank_imports_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_imports'))
    )
    op.create_table('bank_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('difficulty', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('excerpt', sa.String(length=300), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('created_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['bank_imports.id'], name=op.f('fk_bank_questions_import_id_bank_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_questions'))
    )
    with op.batch_alter_table('bank_questions', schema=None) as batch_op:
        batch_op.create_index('ix_bank_questions_filter', ['topic', 'type', 'difficulty'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_questions_uid'), ['uid'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_questions_type'), ['type'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_questions_topic'), ['topic'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_questions_difficulty'), ['difficulty'], unique=False)

    op.create_table('bank_question_tags',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['bank_questions.id'], name=op.f('fk_bank_question_tags_question_id_bank_questions')),
    sa.PrimaryKeyConstraint('question_id', 'tag', name=op.f('pk_bank_question_tags'))
    )
    with op.batch_alter_table('bank_question_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_question_tags_tag'), ['tag'], unique=False)

    op.create_table('bank_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', exam_server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_bank_versions_by_id_users')),
    sa.ForeignKeyConstraint(['question_id'], ['bank_questions.id'], name=op.f('fk_bank_versions_question_id_bank_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_versions')),
    sa.UniqueConstraint('question_id', 'version', name=op.f('uq_bank_versions_question_id_version'))
    )
    with op.batch_alter_table('bank_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_versions_question_id'), ['question_id'], unique=False)


def downgrade() -> None:
    op.drop_table('bank_versions')
    op.drop_table('bank_question_tags')
    op.drop_table('bank_questions')
    op.drop_table('bank_imports')
