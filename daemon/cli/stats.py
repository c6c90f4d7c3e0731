"""`incidentd stats`: metrics across incidents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from daemon.api import dumps
from daemon.api.stats import parse_since
from daemon.cli.changes import fail, json_option, run
from daemon.cli.common import config_options, load
from daemon.clock import SystemClock
from daemon.comms.render import _duration as duration
from daemon.reporting.stats import compute_stats
from daemon.work import Work


@click.command("stats")
@config_options
@click.option("--since", default="30d", show_default=True,
              help="a duration back from now (30d) or an ISO 8601 time")
@json_option
def stats(config_path: Path | None, data_dir: Path | None, since: str, as_json: bool) -> None:
    """Counts, MTTA, MTTR, time to contain, updates on time, open incidents by age."""
    config = load(config_path, data_dir)
    try:
        start = parse_since(since, SystemClock().now())
    except ValueError as exc:
        fail(str(exc).removeprefix("since: "), "since", as_json)

    def compute(work: Work) -> dict[str, Any]:
        return compute_stats(work.session, work.config, now=work.now, since=start)

    data = run(config, config_path, compute, as_json)
    if as_json:
        click.echo(dumps(data))
        return
    click.echo(f"{data['incidents']} incident(s) reported since {data['since']:%Y-%m-%d %H:%M} "
               "UTC")
    for name in ("by_priority", "by_severity", "by_category", "by_source", "by_status"):
        counts = ", ".join(f"{k} {v}" for k, v in data[name].items()) or "-"
        click.echo(f"  {name.removeprefix('by_'):<10} {counts}")
    for label, name in (("MTTA", "mtta_seconds"), ("MTTR", "mttr_seconds"),
                        ("contain", "time_to_contain_seconds")):
        span = data[name]
        click.echo(f"  {label:<10} mean {duration(span['mean'])}, median "
                   f"{duration(span['median'])} ({span['count']} incident(s))")
    updates = data["updates"]
    percent = "-" if updates["percent_on_time"] is None else f"{updates['percent_on_time']} %"
    click.echo(f"  updates    {updates['on_time']} of {updates['due']} on time ({percent})")
    ages = ", ".join(f"{k} {v}" for k, v in data["open_by_age"].items())
    click.echo(f"open now: {data['open']} ({ages})")
