"""Parsed reply commands → lifecycle changes (pure)."""

from __future__ import annotations

import pytest

from daemon.lifecycle import LifecycleError
from daemon.mailbox.commands import changes_for, message_after


@pytest.mark.parametrize(("name", "value", "message", "changes"), [
    ("status", "contained", "Failed over", {"status": "contained", "containment": "Failed over"}),
    ("status", "dismissed", "a test", {"status": "dismissed", "reason": "a test"}),
    ("status", "resolved", "", {"status": "resolved"}),
    ("status", "closed", "done", {"status": "closed", "comment": "done"}),
    ("priority", "P1", "x", {"priority": "P1"}),
    ("eta", "PT2H", "", {"eta": "7200s"}),
    ("eta", "P1DT30M", "", {"eta": "88200s"}),
    ("eta", "2026-05-01T14:00:00+02:00", "", {"eta": "2026-05-01T14:00:00+02:00"}),
    ("assign", "alice@example.org", "", {"assignee": "alice@example.org"}),
    ("resolution", "Replaced the disk", "", {"resolution_summary": "Replaced the disk"}),
    ("resolve", "", "Disk replaced", {"status": "resolved", "comment": "Disk replaced"}),
    ("resolve", "fixed", "more", {"status": "resolved", "comment": "fixed"}),
    ("ack", "", "", {"acknowledge": True}),
    ("ack", "on it", "", {"acknowledge": True, "comment": "on it"}),
])
def test_changes_for(name: str, value: str, message: str, changes: dict[str, object]) -> None:
    assert changes_for(name, value, message) == changes


def test_unknown_command_is_refused() -> None:
    with pytest.raises(LifecycleError, match="unknown command 'launch'"):
        changes_for("launch", "rockets")


@pytest.mark.parametrize(("text", "count", "message"), [
    ("status: contained\n\nFailed over.\nBye", 1, "Failed over.\nBye"),
    ("ack\n\npriority: P1\nSee logs.", 2, "See logs."),
    ("ack", 1, ""),
    ("Just text.", 0, "Just text."),
])
def test_message_after_the_commands(text: str, count: int, message: str) -> None:
    assert message_after(text, count) == message
