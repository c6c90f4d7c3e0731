"""Reply commands: responders change the incident; anyone else's commands stay a note."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from daemon.config import Config
from tests.daemon.mailbox.support import (
    answers_to,
    delivered,
    incident,
    mail,
    mail_config,
    notice_id,
    opened,
    outbox,
    timeline,
)
from tests.support import running_daemon

COMMANDS = "status: responding\npriority: P2\neta: 2h\n\nPumps arrive in two hours."


async def test_responder_changes_status_and_priority_and_gets_a_confirmation(
        config: Config) -> None:
    config = config.model_copy(update={"mailbox": config.mailbox.model_copy(
        update={"responders": ["@ops.example.org"]})})
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        assert (await incident(daemon, number)).priority == 3
        notice = await notice_id(daemon, number)
        before = len(await outbox(daemon))
        result = await delivered(daemon, mail(
            COMMANDS, sender="Bob <bob@ops.example.org>", subject=f"Re: [{key}] flood",
            message_id="<cmd-1@ops.example.org>",
            headers={"In-Reply-To": notice, "References": notice}))
        assert result["incidents"] == [key]

        changed = await incident(daemon, number)
        assert (changed.status, changed.priority) == ("responding", 2)
        assert changed.eta == daemon.clock.now() + timedelta(hours=2)
        assert changed.acknowledged_by == "bob@ops.example.org"
        entries = await timeline(daemon, number)
        commands = [(e.actor, e.source, e.text) for e in entries if e.kind == "command"]
        assert commands == [
            ("bob@ops.example.org", "email", "status: responding: applied"),
            ("bob@ops.example.org", "email", "priority: P2: applied"),
            ("bob@ops.example.org", "email", "eta: PT2H: applied"),
        ]
        assert [e.text for e in entries if e.kind == "update"] == [COMMANDS]

        (confirmation,) = await answers_to(daemon, "bob@ops.example.org")
        assert confirmation["Subject"] == f"[{key}] 3 of 3 commands applied: Server room flooded"
        assert confirmation["In-Reply-To"] == "<cmd-1@ops.example.org>"
        assert confirmation["References"] == f"{notice} <cmd-1@ops.example.org>"
        assert confirmation["Auto-Submitted"] == "auto-generated"
        assert confirmation["X-Incidentd-Loop"] == "incidentd.test"
        text = confirmation.get_body(("plain",)).get_content()
        assert "applied  status: responding" in text
        # stakeholders hear about the change in one update
        kinds = [(r.kind, r.recipients) for r in (await outbox(daemon))[before:]]
        assert ("update", ["oncall@example.org", "lead@example.org"]) in kinds
        assert ("confirmation", ["bob@ops.example.org"]) in kinds


async def test_the_same_commands_from_anyone_else_are_a_note(tmp_path: Path) -> None:
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        await delivered(daemon, mail(
            COMMANDS, sender="mallory@example.net", subject=f"Re: [{key}]",
            message_id="<cmd-2@example.net>"))
        unchanged = await incident(daemon, number)
        assert (unchanged.status, unchanged.priority, unchanged.eta) == ("triaged", 3, None)
        entries = await timeline(daemon, number)
        assert [e.text for e in entries if e.kind == "update"] == [COMMANDS]
        (refused,) = [e for e in entries if e.kind == "command"]
        assert refused.text == ("3 command(s) not applied: mallory@example.net is not an "
                                "authorised responder; the mail is kept as a note")
        (confirmation,) = await answers_to(daemon, "mallory@example.net")
        assert confirmation["Subject"].startswith(f"[{key}] 0 of 3 commands applied")
        assert "REFUSED  priority: P2" in confirmation.get_body(("plain",)).get_content()


async def test_refused_command_does_not_stop_the_others(tmp_path: Path) -> None:
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        await delivered(daemon, mail(
            "status: closed\nassign: me\nreopen: flooding again\n\nOn it.",
            sender="lead@example.org", subject=f"[{key}]", message_id="<cmd-3@example.org>"))
        changed = await incident(daemon, number)
        assert (changed.status, changed.assignee) == ("triaged", "lead@example.org")
        results = [(e.data or {}).get("applied") for e in await timeline(daemon, number)
                   if e.kind == "command"]
        assert results == [False, True, False]
        (confirmation,) = await answers_to(daemon, "lead@example.org")
        text = confirmation.get_body(("plain",)).get_content()
        assert "cannot change status from triaged to closed" in text
        assert "cannot change status from triaged to responding (reopen)" in text


async def test_members_of_the_incidents_lists_may_command_when_configured(tmp_path: Path
                                                                         ) -> None:
    config = await mail_config(tmp_path, **{"mailbox.responders": [],
                                            "mailbox.responders_from_lists": True})
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        await delivered(daemon, mail("ack", sender="oncall@example.org", subject=f"[{key}]",
                                     message_id="<cmd-4@example.org>"))
        await delivered(daemon, mail("priority: P1", sender="boss@example.org",
                                     subject=f"[{key}]", message_id="<cmd-5@example.org>"))
        changed = await incident(daemon, number)
        assert (changed.acknowledged_by, changed.status, changed.priority) == (
            "oncall@example.org", "responding", 3)  # boss is on "management", not on this one


async def test_the_text_below_the_commands_is_the_containment_note_or_reason(
        tmp_path: Path) -> None:
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon, mail("Impact: high\nUrgency: high\n\nAll down."))
        assert (await incident(daemon, number)).priority == 1  # gated: contained needs a note
        await delivered(daemon, mail("status: contained\n\nFailed over to the standby.\n",
                                     sender="bob@ops.example.org", subject=f"[{key}]",
                                     message_id="<cmd-6@ops.example.org>"))
        assert (await incident(daemon, number)).status == "contained"
        entries = await timeline(daemon, number)
        assert [e.text for e in entries if e.kind == "containment"] == [
            "Failed over to the standby."]
        second, other = await opened(daemon, mail("Printer jam.", subject="Printer",
                                                  message_id="<p@example.org>"))
        await delivered(daemon, mail("status: false alarm\n\nIt was a test print.",
                                     sender="bob@ops.example.org", subject=f"[{second}]",
                                     message_id="<cmd-7@ops.example.org>"))
        dismissed = await incident(daemon, other)
        assert (dismissed.status, dismissed.dismiss_reason) == ("dismissed",
                                                                "It was a test print.")
