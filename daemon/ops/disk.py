"""Free space where the daemon writes, and how large its SQLite database has grown.

When the disk fills, every sender is told to retry (HTTP 503, SMTP 451)
until space is freed, and nothing new comes in. These figures let an operator
see it coming: gauges for Prometheus, a warning in the log when a place drops
below `[health] min_free_space`, and a doctor check.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from daemon.config import Config
from daemon.ops.metrics import Metrics
from daemon.store.db import is_sqlite

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Space:
    """Bytes the daemon may still write in `path`'s file system (root's reserve excluded)."""

    path: Path
    free: int


def sqlite_file(config: Config) -> Path | None:
    """The SQLite database file, or None for another database."""
    url = config.database_url
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    return Path(database).resolve() if database and database != ":memory:" else None


def places(config: Config) -> list[Path]:
    """The directories the daemon writes to, one per file system, as configured."""
    wanted = [config.server.data_dir]
    database = sqlite_file(config)
    if database is not None:
        wanted.append(database.parent)
    if config.notify.backend == "maildir":
        wanted.append(config.maildir_path)
    seen: set[int] = set()
    chosen: list[Path] = []
    for path in (place.resolve() for place in wanted):
        existing = _nearest_existing(path)
        if existing is None or (device := os.stat(existing).st_dev) in seen:
            continue
        seen.add(device)
        chosen.append(path)
    return chosen


def _nearest_existing(path: Path) -> Path | None:
    """`path`, or its nearest parent that exists (a Maildir is made at the first mail)."""
    return next((candidate for candidate in (path, *path.parents) if candidate.exists()), None)


def free_space(config: Config) -> list[Space]:
    """Free bytes in each place (`places`)."""
    spaces = []
    for path in places(config):
        existing = _nearest_existing(path)
        if existing is not None:
            stat = os.statvfs(existing)
            spaces.append(Space(path, stat.f_bavail * stat.f_frsize))
    return spaces


def database_size(config: Config) -> tuple[str, int] | None:
    """The SQLite file and its size with its write-ahead log; None for another database."""
    database = sqlite_file(config)
    if database is None:
        return None
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += os.stat(f"{database}{suffix}").st_size
        except FileNotFoundError:
            continue
    return str(database), total


def describe(size: int) -> str:
    """`size` bytes for a person: 96 KiB, 512 MiB, 3.2 GiB."""
    if size >= 1024**3:
        return f"{size / 1024**3:.1f} GiB"
    if size >= 1024**2:
        return f"{size / 1024**2:.0f} MiB"
    return f"{size / 1024:.0f} KiB"


def measure(config: Config, metrics: Metrics, low: LowSpace) -> list[Space]:
    """Update the disk gauges and log a change of state; the places as measured."""
    spaces = free_space(config)
    metrics.update_disk(spaces, database_size(config))
    low.check(spaces, config.health.min_free_space)
    return spaces


class LowSpace:
    """Logs when a place drops below the minimum, and when it has room again.

    Once per crossing, not once per check: a disk that stays nearly full
    must not fill it further with the same line every minute.
    """

    def __init__(self) -> None:
        self._low: set[Path] = set()

    def check(self, spaces: list[Space], minimum: int) -> None:
        """Compare each place with `minimum` bytes; log the changes."""
        for space in spaces:
            if space.free < minimum and space.path not in self._low:
                self._low.add(space.path)
                log.warning("disk space low path=%s free=%s min_free_space=%s: senders get "
                            "503/451 once it is full; free space or shorten [retention] intake",
                            space.path, describe(space.free), describe(minimum))
            elif space.free >= minimum and space.path in self._low:
                self._low.discard(space.path)
                log.info("disk space recovered path=%s free=%s", space.path,
                         describe(space.free))
