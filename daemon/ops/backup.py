"""Backups: a consistent SQLite copy while the daemon runs; `pg_dump` for PostgreSQL.

SQLite's online backup API copies the database page by page inside one read
transaction. In WAL mode readers never block the daemon's writer, so the copy
is a consistent snapshot and intake is not paused. The copy is written beside
the target, checked with `PRAGMA integrity_check`, switched to a rollback
journal (one self-contained file) and only then renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from daemon.store.db import is_sqlite


class BackupError(Exception):
    """The backup was not made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """What was written."""

    path: Path
    size: int
    incidents: int
    intake: int


def sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def pg_dump_command(url: str, target: Path) -> str:
    """The `pg_dump` command line for a PostgreSQL URL (password left out)."""
    parsed = make_url(url)
    dsn = URL.create("postgresql", username=parsed.username, host=parsed.host,
                     port=parsed.port, database=parsed.database, query=parsed.query)
    return shlex.join(["pg_dump", "--format=custom", f"--file={target}",
                       dsn.render_as_string(hide_password=False)])


def backup(url: str, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the SQLite database at `url` to `target`; `BackupError` for anything else."""
    if not is_sqlite(url):
        raise BackupError(
            "PostgreSQL is backed up with its own tools; run:\n  "
            + pg_dump_command(url, target)
            + "\n(the password comes from PGPASSWORD or ~/.pgpass; restore with pg_restore)")
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"{source_path}: no such database file")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; choose another name or pass --force")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            incidents = copy.execute("SELECT count(*) FROM incident").fetchone()[0]
            intake = copy.execute("SELECT count(*) FROM intake").fetchone()[0]
        except sqlite3.Error as exc:
            raise BackupError(f"backup failed: {exc}") from None
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    with contextlib.suppress(OSError):  # make the rename itself durable
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return BackupResult(path=target, size=target.stat().st_size, incidents=int(incidents),
                        intake=int(intake))
