"""triage: response plans on incidents, suppressed reports, recurring silences

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types spelt out here so that later model changes cannot alter this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_incident_escalate', ['escalate_at'], unique=False)

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suppressed_by', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_report_outcome', ['outcome', 'id'], unique=False)

    with op.batch_alter_table('silence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule', JSON, nullable=True))
        batch_op.add_column(sa.Column('expired_by', sa.String(length=512), nullable=True))
        batch_op.create_index('ix_silence_ends', ['ends_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('silence', schema=None) as batch_op:
        batch_op.drop_index('ix_silence_ends')
        batch_op.drop_column('expired_by')
        batch_op.drop_column('schedule')

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_outcome')
        batch_op.drop_column('suppressed_by')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_escalate')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalate_at')
