"""Alembic environment: runs on the connection incidentd hands over."""

from __future__ import annotations

from alembic import context

from daemon.store import claims  # noqa: F401 - registers its table
from daemon.store.models import Base  # importing the models registers the tables

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `incidentd db upgrade`, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
