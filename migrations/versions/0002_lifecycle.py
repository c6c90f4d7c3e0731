"""lifecycle and post-incident review

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types spelt out here so that later model changes cannot alter this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('root_cause_category', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('impact_statement', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('affected_services', JSON, nullable=True))
        batch_op.add_column(sa.Column('restored_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('priority_manual', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by', sa.String(length=512), nullable=True))
        batch_op.create_index('ix_task_due', ['state', 'due_at'], unique=False)

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_by', sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_column('completed_by')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_due')
        batch_op.drop_column('created_by')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('priority_manual')
        batch_op.drop_column('review_reminded_at')
        batch_op.drop_column('restored_at')
        batch_op.drop_column('affected_services')
        batch_op.drop_column('impact_statement')
        batch_op.drop_column('root_cause_category')
