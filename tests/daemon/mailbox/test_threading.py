"""Replies join their incident: by In-Reply-To, by References alone, by report, by subject tag."""

from __future__ import annotations

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
    patch,
    timeline,
)
from tests.support import running_daemon


async def test_reply_by_in_reply_to_references_and_report(tmp_path: Path) -> None:
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        notice = await notice_id(daemon, number)

        by_reply_to = await delivered(daemon, mail(
            "Pumps are on their way.", sender="bob@ops.example.org",
            subject="whatever the client made of it", message_id="<r1@ops.example.org>",
            headers={"In-Reply-To": notice, "References": notice}))
        by_references = await delivered(daemon, mail(
            "Second pump running.", sender="carol@example.org", subject="pumps",
            message_id="<r2@example.org>",
            headers={"References": f"<unrelated@elsewhere> {notice}"}))
        by_report = await delivered(daemon, mail(
            "Forgot to say: the door is locked.", sender="alice@example.org",
            subject="Re: Server room flooded", message_id="<r3@example.org>",
            headers={"In-Reply-To": "<report-1@example.org>"}))
        for result in (by_reply_to, by_references, by_report):
            assert result["incidents"] == [key]
            assert [r["outcome"] for r in result["reports"]] == ["updated"]

        notes = [(e.actor, e.source, e.text, (e.data or {}).get("via"))
                 for e in await timeline(daemon, number) if e.kind == "update"]
        assert notes == [
            ("bob@ops.example.org", "email", "Pumps are on their way.", "reply"),
            ("carol@example.org", "email", "Second pump running.", "reply"),
            ("alice@example.org", "email", "Forgot to say: the door is locked.", "reply"),
        ]
        # no commands: no confirmation to anybody
        assert await answers_to(daemon, "bob@ops.example.org") == []
        assert await answers_to(daemon, "carol@example.org") == []


async def test_subject_tag_threads_and_a_resolved_incident_is_only_noted(config: Config
                                                                         ) -> None:
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        tagged = await delivered(daemon, mail(
            "Photo attached.\nLocation: Building B, basement", sender="dave@example.org",
            subject=f"Photo [{key}]", message_id="<t1@example.org>",
            attachments=[("floor.png", "image/png", b"\x89PNG fake")]))
        assert tagged["incidents"] == [key]
        assert (await incident(daemon, number)).location == "Building B, basement"

        await patch(daemon, key, {"status": "resolved"})
        late = await delivered(daemon, mail(
            "It is wet again.", sender="dave@example.org", subject=f"Re: [{key}] flood",
            message_id="<t2@example.org>"))
        assert late["incidents"] == [key]
        first, second = [e for e in await timeline(daemon, number) if e.kind == "update"]
        assert first.data is not None
        assert first.data["attachments"] == ["floor.png"]
        assert second.data is not None
        assert second.data["incident_status"] == "resolved"
        assert second.text == "It is wet again."
        assert (await incident(daemon, number)).status == "resolved"  # noted, not reopened


async def test_unknown_tag_or_unmatched_reply_opens_a_new_incident(tmp_path: Path) -> None:
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon:
        key, _ = await opened(daemon)
        other = await delivered(daemon, mail(
            "Different problem.", subject="Re: [INC-99] printer", message_id="<x1@example.org>",
            headers={"In-Reply-To": "<never-seen@example.org>"}))
        assert [r["outcome"] for r in other["reports"]] == ["opened"]
        assert other["incidents"] != [key]


async def test_reply_to_a_merged_duplicate_goes_to_the_surviving_incident(tmp_path: Path
                                                                         ) -> None:
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon:
        first, _ = await opened(daemon)
        second, number = await opened(daemon, mail("Same flood.", message_id="<dup@example.org>",
                                                   subject="Flooding in server room"))
        notice = await notice_id(daemon, number)
        await patch(daemon, second, {"status": "dismissed", "duplicate_of": first})
        reply = await delivered(daemon, mail(
            "Still wet.", sender="erin@example.org", subject="Re: flooding",
            message_id="<m1@example.org>", headers={"In-Reply-To": notice}))
        assert reply["incidents"] == [first]
