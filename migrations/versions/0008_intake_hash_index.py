"""drop the unused index on intake.sha256

Nothing looks raw reports up by their hash, and the index (random keys) was a
third of the cost of every durable intake insert on SQLite.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_intake_sha256', table_name='intake')


def downgrade() -> None:
    op.create_index('ix_intake_sha256', 'intake', ['sha256'], unique=False)
