"""The `incidentd` command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from aiohttp import web
from sqlalchemy.orm import Session

from daemon.api import dumps
from daemon.comms.context import incident_values
from daemon.config import Config, ConfigError, load_config, split_hostport
from daemon.logs import setup_logging
from daemon.store import repo
from daemon.store.db import create_engine, session_factory
from daemon.store.migrate import SchemaError, check_schema, upgrade
from daemon.store.models import parse_incident_key

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_HELP = "configuration file (TOML); default: $INCIDENTD_CONFIG, else built-in defaults"


def config_options(func: F) -> F:
    """--config and --data-dir, on every command that reads the configuration."""
    func = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        envvar="INCIDENTD_DATA_DIR",
                        help="where SQLite and the Maildir live (overrides server.data_dir)")(func)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        envvar="INCIDENTD_CONFIG", help=CONFIG_HELP)(func)


def _load(config_path: Path | None, data_dir: Path | None, **extra: Any) -> Config:
    overrides = {"server.data_dir": str(data_dir) if data_dir else None, **extra}
    try:
        return load_config(config_path, overrides=overrides)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error:\n{exc}") from None


def _hint(config_path: Path | None) -> str:
    return f" --config {config_path}" if config_path else ""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="incidentd")
def main() -> None:
    """incidentd: incident intake by email and webhooks, triage, stakeholder updates.

    Start with `incidentd db upgrade`, then `incidentd serve`. Every command
    takes --config FILE (or $INCIDENTD_CONFIG).
    """


@main.command()
@config_options
@click.option("--http", metavar="HOST:PORT", help="HTTP listen address (overrides server.http)")
@click.option("--smtp", metavar="HOST:PORT",
              help="SMTP listen address (overrides server.smtp; '' disables SMTP)")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
def serve(config_path: Path | None, data_dir: Path | None, http: str | None,
          smtp: str | None, log_level: str) -> None:
    """Run the daemon in the foreground until SIGTERM or Ctrl-C."""
    from daemon.app import build_app, warn_about_example_tokens

    config = _load(config_path, data_dir, **{"server.http": http, "server.smtp": smtp})
    setup_logging(log_level)
    warn_about_example_tokens(config)
    host, port = split_hostport(config.server.http)
    app = build_app(config, config_hint=_hint(config_path))
    try:
        web.run_app(app, host=host, port=port, print=None,
                    shutdown_timeout=config.server.shutdown_timeout.total_seconds(),
                    access_log_class=_access_logger())
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from None


def _access_logger() -> Any:
    from daemon.web import AccessLogger

    return AccessLogger


@main.command("check-config")
@config_options
def check_config(config_path: Path | None, data_dir: Path | None) -> None:
    """Validate the configuration and exit (0 when valid)."""
    config = _load(config_path, data_dir)
    click.echo(f"configuration OK: {len(config.integrations)} integration(s), "
               f"{len(config.lists)} list(s), {len(config.triage.rules)} rule(s), "
               f"{len(config.api.tokens)} API token(s); database {config.database_url}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_options
def db_upgrade(config_path: Path | None, data_dir: Path | None) -> None:
    """Apply schema migrations (safe to run repeatedly)."""
    config = _load(config_path, data_dir)

    async def run() -> tuple[str | None, str]:
        engine = create_engine(config.database_url)
        try:
            return await upgrade(engine)
        finally:
            await engine.dispose()

    before, after = asyncio.run(run())
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")


T = TypeVar("T")


def _with_session(config: Config, config_path: Path | None,
                  func: Callable[[Session], T]) -> T:
    async def run() -> T:
        engine = create_engine(config.database_url)
        try:
            await check_schema(engine, _hint(config_path))
            async with session_factory(engine)() as session:
                return await session.run_sync(func)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def incidents() -> None:
    """List and inspect incidents."""


@incidents.command("list")
@config_options
@click.option("--status", "statuses", multiple=True,
              help="filter by status (repeatable); 'open' for all open ones")
@click.option("--priority", type=click.IntRange(1, 4))
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def incidents_list(config_path: Path | None, data_dir: Path | None, statuses: tuple[str, ...],
                   priority: int | None, limit: int, as_json: bool) -> None:
    """List incidents, newest first."""
    config = _load(config_path, data_dir)
    wanted = [s for s in statuses if s != "open"]
    if "open" in statuses:
        wanted += ["reported", "triaged", "responding", "contained"]
    rows = _with_session(config, config_path, lambda s: [
        incident_values(i) for i in repo.get_incidents(s, statuses=wanted, priority=priority,
                                                       limit=limit)])
    if as_json:
        click.echo(dumps({"incidents": rows}))
        return
    if not rows:
        click.echo("no incidents")
        return
    click.echo(f"{'KEY':<10} {'P':<2} {'SEV':<6} {'STATUS':<11} {'REPORTED':<17} TITLE")
    for row in rows:
        click.echo(f"{row['key']:<10} {row['priority'] or '-':<2} {row['severity'] or '-':<6} "
                   f"{row['status']:<11} {row['reported_at']:%Y-%m-%d %H:%M} "
                   f"{row['title'][:70]}")


@incidents.command("show")
@click.argument("key")
@config_options
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def incidents_show(key: str, config_path: Path | None, data_dir: Path | None,
                   as_json: bool) -> None:
    """Show one incident (KEY is INC-123 or 123) with alerts and timeline."""
    config = _load(config_path, data_dir)
    number = parse_incident_key(key)
    if number is None:
        raise click.BadParameter(f"{key!r} is not an incident key like INC-12", param_hint="KEY")

    def load(session: Session) -> dict[str, Any] | None:
        incident = repo.get_incident(session, incident_id=number)
        if incident is None:
            return None
        data = incident_values(incident)
        data["alerts"] = [{"dedup_key": a.dedup_key, "status": a.status, "title": a.title,
                           "count": a.count} for a in repo.get_alerts(session, incident_id=number)]
        data["timeline"] = [{"at": t.at, "actor": t.actor, "source": t.source, "kind": t.kind,
                             "old": t.old, "new": t.new, "text": t.text}
                            for t in repo.get_timeline(session, incident_id=number)]
        return data

    data = _with_session(config, config_path, load)
    if data is None:
        raise click.ClickException(f"no incident {key}")
    if as_json:
        click.echo(dumps(data))
        return
    click.echo(f"{data['key']}  {data['title']}")
    for field in ("status", "priority", "severity", "impact", "urgency", "category", "service",
                  "location", "reporter", "reported_at", "resolved_at", "eta", "next_update_at"):
        if data[field] is not None:
            click.echo(f"  {field:<15} {data[field]}")
    if data["description"]:
        click.echo("\n" + data["description"].strip() + "\n")
    if data["alerts"]:
        click.echo("alerts:")
        for alert in data["alerts"]:
            click.echo(f"  {alert['status']:<12} x{alert['count']:<4} {alert['title']}")
    click.echo("timeline:")
    for entry in data["timeline"]:
        change = f" {entry['old'] or ''} -> {entry['new']}" if entry["new"] else ""
        click.echo(f"  {entry['at']:%Y-%m-%d %H:%M:%S} {entry['kind']:<8} "
                   f"{entry['actor']} ({entry['source']}){change} {entry['text'][:200]}")


if __name__ == "__main__":
    sys.exit(main())
