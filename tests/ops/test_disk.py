"""Free space where the daemon writes: gauges, a warning per crossing, a doctor check."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon.cli import main
from daemon.ops.disk import LowSpace, Space, database_size, free_space, places, sqlite_file
from tests.ops.test_metrics import scrape, value
from tests.support import make_config, migrate, running_daemon

MIB = 1024**2


def test_one_place_per_file_system(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")  # database and Maildir under the data directory

    assert places(config) == [(tmp_path / "data").resolve()]


def test_a_maildir_on_another_file_system_is_a_place_of_its_own(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system (/dev/shm) to put the Maildir on")
    config = make_config(tmp_path / "data", **{"notify.maildir": str(shm / "incidentd-test")})

    assert places(config) == [(tmp_path / "data").resolve(), (shm / "incidentd-test").resolve()]


def test_free_space_is_what_the_daemon_may_write(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    [space] = free_space(config)  # the data directory does not exist yet: its parent's
    expected = shutil.disk_usage(tmp_path).free

    assert space.path == (tmp_path / "data").resolve()
    assert abs(space.free - expected) < 64 * MIB  # other programs write meanwhile


def test_low_space_is_logged_once_per_crossing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "daemon.ops.disk")
    low = LowSpace()
    place = Path("/var/lib/incidentd")

    def check(free: int) -> list[str]:
        caplog.clear()
        low.check([Space(place, free)], 1024 * MIB)
        return [f"{r.levelname} {r.getMessage()}" for r in caplog.records]

    assert check(2048 * MIB) == []
    [warning] = check(300 * MIB)
    assert warning.startswith("WARNING disk space low path=/var/lib/incidentd free=300 MiB "
                              "min_free_space=1.0 GiB")
    assert check(200 * MIB) == []  # still low: said already
    assert check(1500 * MIB) == ["INFO disk space recovered path=/var/lib/incidentd "
                                 "free=1.5 GiB"]
    assert len(check(10 * MIB)) == 1  # low again: said again


async def test_metrics_show_free_space_and_the_sqlite_size(tmp_path: Path, db_url: str) -> None:
    config = make_config(tmp_path / "data", db_url)
    await migrate(config)
    async with running_daemon(config) as daemon:
        samples = await scrape(daemon)

    data_dir = str((tmp_path / "data").resolve())
    free = value(samples, "incidentd_disk_free_bytes", path=data_dir)
    assert abs(free - shutil.disk_usage(tmp_path).free) < 64 * MIB  # data/ may not exist yet
    sizes = {dict(labels)["file"]: v for (name, labels), v in samples.items()
             if name == "incidentd_database_size_bytes"}
    database = sqlite_file(config)
    if database is None:  # PostgreSQL: no file to measure, no series
        assert sizes == {}
        assert database_size(config) is None
    else:
        assert list(sizes) == [str(database)]
        assert sizes[str(database)] >= database.stat().st_size > 0


async def test_a_daemon_short_of_space_says_so_and_doctor_warns(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = make_config(tmp_path / "data", **{"health.min_free_space": "1000000G"})
    await migrate(config)
    async with running_daemon(config):
        await asyncio.sleep(0.1)  # the first measurement runs as the daemon starts
    assert caplog.text.count("disk space low path=") == 1

    path = tmp_path / "incidentd.toml"
    path.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\n'
                    '[mailbox]\naddresses = ["incidents@example.org"]\n'
                    '[health]\nmin_free_space = "1000000G"\n')
    result = await asyncio.to_thread(CliRunner().invoke, main, ["doctor", "--config", str(path)])
    assert result.exit_code == 0, result.output  # a warning, not a failure
    assert "WARN disk space: only " in result.output
    warnings = result.output.count("\nWARN ")
    assert result.output.endswith(f"\nno problems; {warnings} warning(s) to read.\n")
    assert "(min_free_space 1000000.0 GiB)" in result.output
    assert "fix: free space, shorten [retention] intake" in result.output
