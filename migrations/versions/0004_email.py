"""email intake: automatic answers to senders, the SMTP AUTH user of an intake row

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Column types spelt out here so that later model changes cannot alter this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auto_reply',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('sender', sa.String(length=512), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('incident_id', ID, nullable=True),
    sa.Column('outbox_id', ID, nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auto_reply', schema=None) as batch_op:
        batch_op.create_index('ix_auto_reply_sender', ['sender', 'at'], unique=False)

    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_user', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_column('auth_user')

    with op.batch_alter_table('auto_reply', schema=None) as batch_op:
        batch_op.drop_index('ix_auto_reply_sender')

    op.drop_table('auto_reply')
