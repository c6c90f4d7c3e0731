"""`incidentd check-config`."""

from __future__ import annotations

from pathlib import Path

import click

from daemon.cli.common import config_options, load


@click.command("check-config")
@config_options
def check_config(config_path: Path | None, data_dir: Path | None) -> None:
    """Validate the configuration and exit (0 when valid)."""
    config = load(config_path, data_dir)
    click.echo(f"configuration OK: {len(config.integrations)} integration(s), "
               f"{len(config.lists)} list(s), {len(config.triage.rules)} rule(s), "
               f"{len(config.api.tokens)} API token(s); database {config.database_url}")
