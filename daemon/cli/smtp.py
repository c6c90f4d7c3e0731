"""`incidentd smtp …`: helpers for the mailbox listener."""

from __future__ import annotations

import sys

import click

from daemon.intake.passwords import hash_password


@click.group()
def smtp() -> None:
    """The SMTP/LMTP listener of the incident mailbox."""


@smtp.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="read the password from the first line of standard input")
def hash_password_command(from_stdin: bool) -> None:
    """Print a hash for an [smtp] auth_users entry (asks for the password twice).

    Put the line into the configuration as `NAME = "scrypt$…"` under
    `[smtp.auth_users]`; incidentd keeps no passwords, only these hashes.
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("the password is empty")
    click.echo(hash_password(password))
