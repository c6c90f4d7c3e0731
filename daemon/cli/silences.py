"""`incidentd silences add|list|expire`: maintenance windows made at run time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from daemon.api import dumps
from daemon.cli.changes import actor_option, cli_actor, fail, json_option
from daemon.cli.common import ROW_ID, config_options, load, with_session
from daemon.clock import SystemClock
from daemon.config import Config
from daemon.triage.silences import (
    SilenceError,
    check_vocabulary,
    create_silence,
    expire_silence,
    get_silences,
    get_suppressed,
    parse_silence,
    silence_json,
    suppressed_json,
    window_json,
)


@click.group("silences")
def silences() -> None:
    """Silences: maintenance windows made at run time (matching reports open no incident)."""


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
        pairs[name.strip()] = text.strip()
    return pairs


@silences.command("add")
@click.argument("name")
@config_options
@click.option("--label", "labels", multiple=True, metavar="NAME=VALUE",
              help="match reports with this label value (repeatable)")
@click.option("--integration", "integrations", multiple=True, help="match this integration")
@click.option("--service", "services", multiple=True, help="match this reported service")
@click.option("--title", help="match titles against this regular expression")
@click.option("--sender", "senders", multiple=True, help="match this address or @domain")
@click.option("--match", "match_json", metavar="JSON",
              help="the full matcher language as JSON, e.g. '{\"labels_regex\": {...}}'")
@click.option("--starts", help="ISO 8601 start (default now)")
@click.option("--ends", help="ISO 8601 end; for recurring silences the expiry")
@click.option("--duration", help="length: of a one-off silence, or of each cron occurrence")
@click.option("--days", help="weekly: days such as mon-fri")
@click.option("--from", "from_", metavar="HH:MM", help="weekly: start time")
@click.option("--to", metavar="HH:MM", help="weekly: end time")
@click.option("--cron", help="recurring: minute hour day-of-month month day-of-week")
@click.option("--timezone", help="for weekly and cron silences (default UTC)")
@click.option("--comment", default="", help="why")
@actor_option
@json_option
def add(name: str, config_path: Path | None, data_dir: Path | None, labels: tuple[str, ...],
        integrations: tuple[str, ...], services: tuple[str, ...], title: str | None,
        senders: tuple[str, ...], match_json: str | None, starts: str | None,
        ends: str | None, duration: str | None, days: str | None, from_: str | None,
        to: str | None, cron: str | None, timezone: str | None, comment: str, actor: str,
        as_json: bool) -> None:
    """Silence reports matching the options while NAME is active (one-off or recurring)."""
    config = load(config_path, data_dir)
    match: dict[str, Any] = {}
    if match_json:
        try:
            match = json.loads(match_json)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc.msg}", param_hint="--match") from None
    match.update({key: value for key, value in (
        ("labels", _pairs(labels, "--label")), ("integration", list(integrations)),
        ("service", list(services)), ("title", title), ("sender", list(senders)))
        if value})
    if not match:
        raise click.UsageError("give what to match: --label, --integration, --service, "
                               "--title, --sender or --match (a silence matches reports, "
                               "not everything)")
    data: dict[str, Any] = {"name": name, "comment": comment, "match": match}
    data.update({key: value for key, value in (
        ("starts_at", starts), ("ends_at", ends), ("duration", duration), ("days", days),
        ("from", from_), ("to", to), ("cron", cron), ("timezone", timezone)) if value})
    now = SystemClock().now()
    try:
        window = parse_silence(data, now=now)
        check_vocabulary(window, config.triage)
    except SilenceError as exc:
        fail(exc.message, exc.field, as_json)
    row = with_session(config, config_path, lambda s: silence_json(create_silence(
        s, window, match, created_by=cli_actor(actor).name, now=now), now))
    _print([row], as_json)


@silences.command("list")
@config_options
@click.option("--all", "include_expired", is_flag=True, help="also silences that have ended")
@json_option
def list_(config_path: Path | None, data_dir: Path | None, include_expired: bool,
          as_json: bool) -> None:
    """Silences not yet ended (newest first), then the configured maintenance windows."""
    config = load(config_path, data_dir)
    now = SystemClock().now()
    rows = with_session(config, config_path, lambda s: [
        silence_json(r, now) for r in get_silences(s, now=now,
                                                   include_expired=include_expired)])
    _print([*rows, *(window_json(w, now) for w in config.maintenance)], as_json)


@silences.command("expire")
@click.argument("silence_id", type=ROW_ID)
@config_options
@actor_option
@json_option
def expire(silence_id: int, config_path: Path | None, data_dir: Path | None, actor: str,
           as_json: bool) -> None:
    """End silence SILENCE_ID now."""
    config = load(config_path, data_dir)
    now = SystemClock().now()

    def end(session: Session) -> dict[str, Any] | None:
        row = expire_silence(session, silence_id, by=cli_actor(actor).name, now=now)
        return silence_json(row, now) if row is not None else None

    row = with_session(config, config_path, end)
    if row is None:
        fail(f"no silence {silence_id}", "silence_id", as_json)
    _print([row], as_json)


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(dumps({"silences": rows}))
        return
    if not rows:
        click.echo("no silences")
        return
    for row in rows:
        state = "active" if row["active"] else "ended" if row["expired"] else "waiting"
        ident = f"#{row['id']}" if row["id"] is not None else "config"
        click.echo(f"{ident:<7} {state:<8} {row['name']}: {row['describe']}")
        click.echo(f"        match {json.dumps(row['match'], sort_keys=True)}"
                   + (f" — {row['comment']}" if row["comment"] else ""))


def list_suppressed(config: Config, config_path: Path | None, limit: int,
                    as_json: bool) -> None:
    """Print the reports that opened no incident because something suppressed them."""
    rows = with_session(config, config_path, lambda s: [
        suppressed_json(r) for r in get_suppressed(s, limit=limit)])
    if as_json:
        click.echo(dumps({"reports": rows}))
        return
    if not rows:
        click.echo("no suppressed reports")
        return
    click.echo(f"{'REPORT':<7} {'INTAKE':<7} {'RECEIVED':<16} {'SUPPRESSED BY':<28} TITLE")
    for row in rows:
        click.echo(f"{row['id']:<7} {row['intake_id']:<7} {row['received_at']:%Y-%m-%d %H:%M} "
                   f"{(row['suppressed_by'] or '-')[:28]:<28} {row['title'][:70]}")
