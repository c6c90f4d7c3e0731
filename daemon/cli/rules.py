"""`incidentd rules test|backtest`: what triage would do, without storing anything."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from daemon.api import dumps
from daemon.cli.common import config_options, load, with_session
from daemon.clock import SystemClock
from daemon.config import Config
from daemon.config.types import parse_duration
from daemon.triage.replay import backtest, try_input
from parsers import Ignored, ParseError

RULES_HELP = "a candidate rules file ([[rules]] tables) used instead of the configured rules"


def load_with_rules(config_path: Path | None, data_dir: Path | None,
                    rules: Path | None) -> Config:
    """The configuration, with `rules` (a rules file) in place of its rules when given."""
    if rules is None:
        return load(config_path, data_dir)
    return load(config_path, data_dir, **{"triage.rules": [],
                                          "triage.rules_file": str(rules.resolve())})


def _when(value: str | None, now: datetime) -> datetime:
    if value is None:
        return now
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("use a duration like 30d or an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-05-01T00:00:00Z")
    return parsed


@click.group("rules")
def rules() -> None:
    """Try the triage rules on a payload, or replay stored intake through them."""


@rules.command("test")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_options
@click.option("--integration", metavar="NAME",
              help="read FILE as this integration's webhook payload (default: a mail)")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path), help=RULES_HELP)
@click.option("--at", "at", metavar="TIME",
              help="judge as if received then (time windows): an ISO 8601 time, or a "
                   "duration ago such as 3h; default now")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def rules_test(file: Path, config_path: Path | None, data_dir: Path | None,
               integration: str | None, rules_file: Path | None, at: str | None,
               as_json: bool) -> None:
    """Show what triage would do with FILE (a mail, or a JSON payload with --integration).

    Prints each report, the rules that hit and missed, and the resulting
    severity, priority, category, plan, lists and suppression. Configured
    maintenance windows count; silences in the database do not (nothing is
    read or stored).
    """
    config = load_with_rules(config_path, data_dir, rules_file)
    now = SystemClock().now()
    when = _when(at, now)
    try:
        answers = try_input(config, file.read_bytes(), integration=integration, now=when)
    except (ParseError, Ignored) as exc:
        kind = "ignored" if isinstance(exc, Ignored) else "would be quarantined"
        if as_json:
            click.echo(dumps({"reports": [], kind.split()[0]: exc.reason}))
            return
        raise click.ClickException(f"{file}: {kind}: {exc.reason}") from None
    if as_json:
        click.echo(dumps({"reports": answers}))
        return
    for number, answer in enumerate(answers, 1):
        _print_answer(number, answer)


def _print_answer(number: int, answer: dict[str, Any]) -> None:
    report, result = answer["report"], answer["result"]
    said = ", ".join(f"{k} {report[k]}" for k in ("severity", "impact", "urgency", "service")
                     if report[k])
    click.echo(f"report {number}: {report['title']}")
    click.echo(f"  from          {report['source']}"
               + (f", sender {report['sender']}" if report["sender"] else "")
               + (f"; says {said}" if said else ""))
    if report["labels"]:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(report["labels"].items()))
        click.echo(f"  labels        {labels[:300]}")
    click.echo(f"  rules hit     {', '.join(answer['hits']) or '-'}")
    click.echo(f"  rules missed  {', '.join(answer['misses']) or '-'}")
    click.echo(f"  decided by    {', '.join(answer['decided_by']) or 'defaults'}")
    if answer["defaults"]:
        filled = ", ".join(f"{k} ({why})" for k, why in answer["defaults"].items())
        click.echo(f"  defaults      {filled}")
    if result["suppressed_by"]:
        click.echo(f"  SUPPRESSED    by {result['suppressed_by']}: no incident, no mail")
    click.echo(f"  severity      {result['severity']}, impact {result['impact']}, "
               f"urgency {result['urgency']} -> P{result['priority']}")
    click.echo(f"  category      {result['category'] or '-'}")
    click.echo(f"  plan          {result['plan'] or '-'}")
    click.echo(f"  lists         {', '.join(result['lists']) or '-'}")
    if result["assignee"]:
        click.echo(f"  assignee      {result['assignee']}")
    if result["drop_duplicates"]:
        click.echo("  duplicates    dropped: joins an open incident of the same title")


@rules.command("backtest")
@config_options
@click.option("--since", default="30d", show_default=True,
              help="replay intake received since: a duration (30d) or an ISO 8601 time")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path), help=RULES_HELP)
@click.option("--limit", type=click.IntRange(1, 100000), default=1000, show_default=True,
              help="most differences to list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def rules_backtest(config_path: Path | None, data_dir: Path | None, since: str,
                   rules_file: Path | None, limit: int, as_json: bool) -> None:
    """Replay stored intake through the rules; list reports that would be triaged differently.

    Each report that opened an incident or was suppressed is parsed again and
    triaged with the configured (or --rules) rules, maintenance windows and
    silences, as of when it arrived; its severity, priority, plan and
    suppression are compared with what was recorded then. Nothing is written.
    """
    config = load_with_rules(config_path, data_dir, rules_file)
    now = SystemClock().now()
    start = _when(since, now)
    result = with_session(config, config_path, lambda s: backtest(
        s, config, since=start, until=now, limit=limit))
    if as_json:
        click.echo(dumps({"since": start, "checked": result.checked,
                          "differences": result.differences}))
        return
    click.echo(f"{result.checked} report(s) since {start:%Y-%m-%d %H:%M} UTC replayed; "
               f"{len(result.differences)} would be triaged differently")
    if not result.differences:
        return
    click.echo(f"{'INCIDENT':<10} {'INTAKE':<7} {'RECEIVED':<16} {'FIELD':<13} "
               f"{'BEFORE':<22} {'AFTER':<22} TITLE")
    for diff in result.differences:
        for name in diff["changed"]:
            before, after = diff["before"][name], diff["after"][name]
            click.echo(f"{diff['incident'] or '-':<10} {diff['intake_id']:<7} "
                       f"{diff['received_at']:%Y-%m-%d %H:%M} {name:<13} "
                       f"{_show(name, before):<22} {_show(name, after):<22} "
                       f"{diff['title'][:60]}")


def _show(name: str, value: Any) -> str:
    if value is None:
        return "-" if name != "suppressed_by" else "not suppressed"
    return f"P{value}" if name == "priority" else str(value)[:22]
