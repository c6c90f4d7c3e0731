"""Reply commands: who may run them, and what each one asks the lifecycle to do.

The parser reads the commands (`EmailInfo.commands`, documented in
`parsers.email`); here each becomes a lifecycle change, run through the same
`apply_changes` the API uses, with the sender as actor and `email` as source.
Every command is tried on its own, so one refusal does not stop the others,
and every one is recorded on the timeline with its result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from daemon import lifecycle
from daemon.comms.recipients import recipients_for
from daemon.config.mail import sender_matches
from daemon.lifecycle import LifecycleError
from daemon.store.models import Incident
from daemon.work import Actor, Work

_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


@dataclass(frozen=True, slots=True)
class CommandResult:
    """One command as written and what became of it."""

    name: str
    value: str
    applied: bool
    message: str

    @property
    def line(self) -> str:
        """The command as a line (`status: resolved`, `ack`)."""
        return f"{self.name}: {self.value}" if self.value else self.name


class UnknownCommand(LifecycleError):
    """A command name the mailbox does not know."""


def may_command(work: Work, incident: Incident, sender: str | None) -> bool:
    """Configured responders, and the incident's list members when lists count."""
    mailbox = work.config.mailbox
    if sender_matches(sender, mailbox.responders):
        return True
    return bool(sender and mailbox.responders_from_lists
                and sender.lower() in recipients_for(work.config, incident, work.now))


def message_after(text: str, commands: int) -> str:
    """The sender's text below the command lines (each command is one non-blank line)."""
    lines = text.split("\n")
    seen = 0
    for index, line in enumerate(lines):
        if seen == commands:
            return "\n".join(lines[index:]).strip()
        if line.strip():
            seen += 1
    return ""


def changes_for(name: str, value: str, message: str = "") -> dict[str, Any]:
    """The lifecycle changes (as `apply_changes` takes them) for one parsed command.

    `message` (the text below the commands) says why: it is the containment
    note of `status: contained` (which the SOP gate wants for P1 and P2), the
    reason of a dismissal or a reopening, and the comment of other statuses.
    """
    if name == "status":
        why = {"contained": "containment", "dismissed": "reason", "responding": "reason"}
        return {"status": value, **({why.get(value, "comment"): message} if message else {})}
    if name in ("priority", "severity", "impact", "urgency", "root_cause", "note"):
        return {name: value}
    if name == "eta":
        return {"eta": _eta(value)}
    if name == "assign":
        return {"assignee": value}
    if name == "resolution":
        return {"resolution_summary": value}
    if name == "resolve":
        return {"status": "resolved", **({"comment": value or message} if value or message
                                         else {})}
    if name == "ack":
        return {"acknowledge": True, **({"comment": value} if value else {})}
    raise UnknownCommand(f"unknown command {name!r}", field=name)


def _eta(value: str) -> str:
    """The parser's ISO 8601 duration (`PT2H`) as seconds from now; times pass as they are."""
    match = _ISO_DURATION.match(value)
    if match is None or value == "P":
        return value
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return f"{(days * 24 + hours) * 3600 + minutes * 60}s"


def run_commands(work: Work, incident: Incident, actor: Actor,
                 commands: Sequence[tuple[str, str]], message: str = "") -> list[CommandResult]:
    """Apply each command from an authorised responder; record each result."""
    results = []
    for name, value in commands:
        try:
            if name == "reopen":  # only a resolved incident reopens, and only with a reason
                lifecycle.reopen(work, incident, actor, value or message)
            else:
                lifecycle.apply_changes(work, incident, actor,
                                        changes_for(name, value, message))
        except LifecycleError as exc:
            result = CommandResult(name, value, False, exc.message)
        else:
            result = CommandResult(name, value, True, "applied")
        results.append(result)
        lifecycle.record(work, incident, actor, "command",
                         f"{result.line}: {'applied' if result.applied else 'refused'}"
                         + ("" if result.applied else f" ({result.message})"),
                         data={"command": name, "value": value, "applied": result.applied,
                               "message": result.message})
    return results


def refuse_commands(work: Work, incident: Incident, actor: Actor,
                    commands: Sequence[tuple[str, str]]) -> list[CommandResult]:
    """Commands from someone who may not run them: recorded once, applied never."""
    reason = f"{actor.name} is not an authorised responder"
    results = [CommandResult(name, value, False, reason) for name, value in commands]
    lifecycle.record(work, incident, actor, "command",
                     f"{len(results)} command(s) not applied: {reason}; the mail is kept as "
                     "a note", data={"commands": [r.line for r in results], "applied": False,
                                     "message": reason})
    return results
