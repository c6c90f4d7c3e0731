"""The `incidentd` command line: one module per command group."""

from __future__ import annotations

import click

from daemon.cli import (
    check,
    data,
    db,
    incidents,
    ops,
    replay,
    respond,
    retriage,
    review,
    rules,
    serve,
    silences,
    smtp,
    stats,
    tasks,
)
from daemon.cli.outbox import outbox
from daemon.cli.recipients import recipients
from daemon.cli.templates import templates


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="incidentd")
def main() -> None:
    """incidentd: incident intake by email and webhooks, triage, stakeholder updates.

    Start with `incidentd db upgrade`, then `incidentd serve`. Every command
    takes --config FILE (or $INCIDENTD_CONFIG).
    """


main.add_command(serve.serve)
main.add_command(check.check_config)
main.add_command(db.db)
main.add_command(incidents.incidents)
for _command in respond.COMMANDS:
    incidents.incidents.add_command(_command)
main.add_command(review.review)
main.add_command(stats.stats)
main.add_command(tasks.tasks)
main.add_command(ops.reload)
main.add_command(ops.doctor)
db.db.add_command(data.db_backup)
db.db.add_command(data.db_prune)
main.add_command(outbox)
main.add_command(templates)
incidents.incidents.add_command(recipients)
main.add_command(smtp.smtp)
main.add_command(replay.replay)
main.add_command(rules.rules)
main.add_command(silences.silences)
incidents.incidents.add_command(retriage.retriage)
