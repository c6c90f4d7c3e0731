"""signature claims shared by every daemon, for HMAC replay checks

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signature_claim',
        sa.Column('integration', sa.String(length=128), nullable=False),
        sa.Column('digest', sa.String(length=128), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('integration', 'digest'),
    )
    op.create_index('ix_signature_claim_expires', 'signature_claim', ['expires_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_signature_claim_expires', table_name='signature_claim')
    op.drop_table('signature_claim')
