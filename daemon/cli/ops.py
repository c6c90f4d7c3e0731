"""`incidentd reload` and `incidentd doctor`."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from daemon.cli.common import config_options, hint, load


@click.command("reload")
@config_options
def reload(config_path: Path | None, data_dir: Path | None) -> None:
    """Ask the running daemon to reload its configuration (SIGHUP).

    The file is validated first; an invalid one is reported here and the
    daemon is left alone. The daemon's pid is read from <data_dir>/incidentd.pid.
    Under systemd, `systemctl reload incidentd` does the same.
    """
    from daemon.ops.service import PID_FILE, read_pid_file

    config = load(config_path, data_dir)
    pid = read_pid_file(config.server.data_dir)
    if pid is None:
        raise click.ClickException(f"no pid file at {config.server.data_dir / PID_FILE}; "
                                   "is incidentd running with this data directory?")
    if not _is_incidentd(pid):
        raise click.ClickException(f"pid {pid} (from {config.server.data_dir / PID_FILE}) is "
                                   "not a running incidentd; remove the stale pid file")
    try:
        os.kill(pid, signal.SIGHUP)
    except PermissionError:
        raise click.ClickException(f"not allowed to signal pid {pid}: run this as the "
                                   "daemon's user or root, or use: systemctl reload "
                                   "incidentd") from None
    click.echo(f"sent SIGHUP to incidentd (pid {pid}); its log says what changed")


def _is_incidentd(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user (the service account)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc here: trust the pid file
    return b"incidentd" in cmdline or b"daemon" in cmdline


@click.command("doctor")
@config_options
def doctor(config_path: Path | None, data_dir: Path | None) -> None:
    """Check configuration, database, ports, templates, data directory and relay.

    Prints one line per check and how to fix what is wrong; exits 1 if
    anything failed.
    """
    from daemon.ops.doctor import run_checks

    config = load(config_path, data_dir)
    findings = run_checks(config, hint(config_path))
    for finding in findings:
        click.echo(str(finding))
    failed = sum(1 for f in findings if f.level == "fail")
    warned = sum(1 for f in findings if f.level == "warn")
    to_read = f"; {warned} warning(s) to read" if warned else ""
    if failed:
        click.echo(f"\n{failed} problem(s) to fix{to_read}.")
        sys.exit(1)
    click.echo(f"\nno problems{to_read}." if warned else "\neverything looks right.")
