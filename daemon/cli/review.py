"""`incidentd review KEY`: the post-incident review report."""

from __future__ import annotations

from pathlib import Path

import click

from daemon.api import dumps
from daemon.cli.changes import incident_number, load_incident, run
from daemon.cli.common import config_options, load
from daemon.comms import Renderer
from daemon.reporting.review import render_review, review_report
from daemon.work import Work


@click.command("review")
@click.argument("key")
@config_options
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md",
              show_default=True)
def review(key: str, config_path: Path | None, data_dir: Path | None, fmt: str) -> None:
    """Print KEY's post-incident review report (Markdown, HTML or JSON)."""
    config = load(config_path, data_dir)
    number = incident_number(key, fmt == "json")
    renderer = Renderer(config.templates.dir)

    def build(work: Work) -> str:
        report = review_report(work.session, work.config, load_incident(work, number),
                               work.now)
        if fmt == "json":
            return dumps(report)
        return render_review(renderer, report, "html" if fmt == "html" else "md")

    click.echo(run(config, config_path, build, fmt == "json"), nl=False)
