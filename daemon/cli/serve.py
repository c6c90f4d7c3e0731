"""`incidentd serve`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from daemon.cli.common import config_options, hint, load
from daemon.config import split_hostport
from daemon.logs import setup_logging
from daemon.store.migrate import SchemaError


@click.command()
@config_options
@click.option("--http", metavar="HOST:PORT", help="HTTP listen address (overrides server.http)")
@click.option("--smtp", metavar="HOST:PORT",
              help="SMTP listen address (overrides server.smtp; '' disables SMTP)")
@click.option("--log-level", default=None,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="overrides [logging] level (default info)")
def serve(config_path: Path | None, data_dir: Path | None, http: str | None,
          smtp: str | None, log_level: str | None) -> None:
    """Run the daemon in the foreground until SIGTERM or Ctrl-C; SIGHUP reloads."""
    from daemon.app import build_app, warn_about_example_tokens
    from daemon.ops.activation import LISTENERS, ActivationError, inherited_sockets
    from daemon.ops.service import PID_FILE, Service
    from daemon.ops.wiring import OPS, secret_values
    from daemon.web import AccessLogger

    # Kept for reloads, so the flags keep winning over the file.
    overrides: dict[str, Any] = {key: value for key, value in {
        "server.http": http, "server.smtp": smtp,
        "logging.level": log_level.lower() if log_level else None,
    }.items() if value is not None}
    config = load(config_path, data_dir, **overrides)
    if data_dir is not None:
        overrides["server.data_dir"] = str(data_dir)
    secrets = secret_values(config)
    setup_logging(config.logging.level, config.logging.format, secrets)
    warn_about_example_tokens(config)
    host, port = split_hostport(config.server.http)
    app = build_app(config, config_hint=hint(config_path), config_path=config_path,
                    overrides=overrides)
    app[OPS].manage_logging = True
    app[OPS].secrets = secrets
    try:
        listeners = inherited_sockets()
    except ActivationError as exc:
        raise click.ClickException(str(exc)) from None
    app[LISTENERS] = listeners
    service = Service(app, host=host, port=port,
                      shutdown_timeout=config.server.shutdown_timeout.total_seconds(),
                      idle_timeout=config.server.http_idle_timeout.total_seconds(),
                      pid_file=config.server.data_dir / PID_FILE, access_log_class=AccessLogger,
                      sock=listeners.get("http"), freeze_heap=True)
    try:
        asyncio.run(service.run())
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from None
