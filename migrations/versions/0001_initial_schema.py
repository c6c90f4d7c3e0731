"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types spelt out here so that later model changes cannot alter this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=True),
    sa.Column('impact', sa.String(length=8), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('service', sa.String(length=255), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('reporter', sa.String(length=512), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=True),
    sa.Column('integration', sa.String(length=128), nullable=True),
    sa.Column('group_key', sa.String(length=1024), nullable=True),
    sa.Column('lists', JSON, nullable=False),
    sa.Column('labels', JSON, nullable=False),
    sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('triaged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=512), nullable=True),
    sa.Column('responding_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contained_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=True),
    sa.Column('duplicate_of_id', ID, nullable=True),
    sa.Column('eta', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_plan', sa.String(length=128), nullable=True),
    sa.Column('assignee', sa.String(length=512), nullable=True),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('resolution_summary', sa.Text(), nullable=True),
    sa.Column('next_update_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_update_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updates_sent', sa.Integer(), nullable=False),
    sa.Column('thread_message_id', sa.String(length=512), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_group', ['group_key', 'status'], unique=False)
        batch_op.create_index('ix_incident_next_update', ['next_update_at'], unique=False)
        batch_op.create_index('ix_incident_status', ['status'], unique=False)

    op.create_table('intake',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('integration', sa.String(length=128), nullable=True),
    sa.Column('peer', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=255), nullable=True),
    sa.Column('mail_from', sa.String(length=512), nullable=True),
    sa.Column('rcpt_to', JSON, nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', JSON, nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_intake_status_id', ['status', 'id'], unique=False)

    op.create_table('silence',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('matchers', JSON, nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=512), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('alert',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('incident_id', ID, nullable=False),
    sa.Column('integration', sa.String(length=128), nullable=True),
    sa.Column('dedup_key', sa.String(length=1024), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=True),
    sa.Column('labels', JSON, nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('flapping', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_dedup', ['dedup_key', 'status'], unique=False)
        batch_op.create_index('ix_alert_incident', ['incident_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('incident_id', ID, nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.String(length=512), nullable=False),
    sa.Column('envelope_from', sa.String(length=512), nullable=False),
    sa.Column('recipients', JSON, nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=255), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_incident', ['incident_id'], unique=False)

    op.create_table('review',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('incident_id', ID, nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('went_well', sa.Text(), nullable=False),
    sa.Column('went_badly', sa.Text(), nullable=False),
    sa.Column('recommendations', JSON, nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id')
    )
    op.create_table('task',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('incident_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('owner', sa.String(length=512), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_incident', ['incident_id'], unique=False)

    op.create_table('timeline',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('incident_id', ID, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=512), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('data', JSON, nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_incident', ['incident_id', 'id'], unique=False)

    op.create_table('report',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('intake_id', ID, nullable=False),
    sa.Column('incident_id', ID, nullable=True),
    sa.Column('alert_id', ID, nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.String(length=512), nullable=True),
    sa.Column('sender', sa.String(length=512), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('data', JSON, nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_incident', ['incident_id'], unique=False)
        batch_op.create_index('ix_report_intake', ['intake_id'], unique=False)
        batch_op.create_index('ix_report_message_id', ['message_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('report_id', ID, nullable=False),
    sa.Column('incident_id', ID, nullable=True),
    sa.Column('filename', sa.String(length=512), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('truncated', sa.Boolean(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_incident', ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_incident')

    op.drop_table('attachment')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_message_id')
        batch_op.drop_index('ix_report_intake')
        batch_op.drop_index('ix_report_incident')

    op.drop_table('report')
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_incident')

    op.drop_table('timeline')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_incident')

    op.drop_table('task')
    op.drop_table('review')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_incident')
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_incident')
        batch_op.drop_index('ix_alert_dedup')

    op.drop_table('alert')
    op.drop_table('silence')
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_status_id')
        batch_op.drop_index(batch_op.f('ix_intake_sha256'))

    op.drop_table('intake')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_status')
        batch_op.drop_index('ix_incident_next_update')
        batch_op.drop_index('ix_incident_group')

    op.drop_table('incident')
