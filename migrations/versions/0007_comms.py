"""stakeholder communication: per-incident cadence and recipients, outbox due time, digests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types spelt out here so that later model changes cannot alter this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cadence_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recipients_added', JSON, nullable=True))
        batch_op.add_column(sa.Column('recipients_removed', JSON, nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('digest_run',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('list_name', sa.String(length=128), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('instance', sa.String(length=255), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('list_name', 'day', name='uq_digest_run_list_day')
    )


def downgrade() -> None:
    op.drop_table('digest_run')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('due_at')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('recipients_removed')
        batch_op.drop_column('recipients_added')
        batch_op.drop_column('cadence_seconds')
