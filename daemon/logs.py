"""Logging set-up: one line per event, readable in a terminal and in journald."""

from __future__ import annotations

import logging
import os
import sys


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr; without timestamps under systemd (journald adds its own)."""
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    fmt = "%(levelname)s %(name)s: %(message)s" if under_journald else \
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiosmtpd's "mail.log" logs every SMTP command at INFO (addresses included).
    for noisy in ("apscheduler", "aiosqlite", "asyncio", "alembic.runtime.migration", "mail.log"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
