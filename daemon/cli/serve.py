"""`incidentd serve`."""

from __future__ import annotations

from pathlib import Path

import click
from aiohttp import web

from daemon.cli.common import config_options, hint, load
from daemon.config import split_hostport
from daemon.logs import setup_logging
from daemon.store.migrate import SchemaError


@click.command()
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
    from daemon.web import AccessLogger

    config = load(config_path, data_dir, **{"server.http": http, "server.smtp": smtp})
    setup_logging(log_level)
    warn_about_example_tokens(config)
    host, port = split_hostport(config.server.http)
    app = build_app(config, config_hint=hint(config_path))
    try:
        web.run_app(app, host=host, port=port, print=None,
                    shutdown_timeout=config.server.shutdown_timeout.total_seconds(),
                    access_log_class=AccessLogger)
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from None
