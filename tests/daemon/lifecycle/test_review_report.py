"""The review report of a scripted incident, compared with an expected file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from daemon import lifecycle
from daemon.comms import send_due_updates
from daemon.lifecycle import Recommendation
from daemon.lifecycle.reminders import remind_reviews
from daemon.reporting.review import render_review, review_report
from daemon.store.models import IncidentStatus
from daemon.work import Work
from tests.daemon.lifecycle.support import ALICE, BOB, Store, get

EXPECTED = Path(__file__).resolve().parent.parent / "expected"
PAYMENT = {"title": "Payment API errors", "severity": "critical", "dedup_key": "pay-5xx",
           "service": "payments"}


async def script(store: Store) -> int:
    """A P1 from alert to closed review; times are minutes after 09:00."""
    incident_id = await store.webhook(PAYMENT)
    store.advance(minutes=4)
    assert await store.webhook(PAYMENT) == incident_id  # the alert repeats
    store.advance(minutes=6)  # 09:10
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "acknowledge": True, "eta": "1h", "assignee": "alice@example.org",
        "comment": "Looking at the payment gateway"}))
    store.advance(minutes=2)  # 09:12
    await store.run(lambda w: lifecycle.add_task(w, get(w, incident_id), ALICE,
                                                 "Tell the payment provider", owner="bob"))
    store.advance(minutes=8)  # 09:20
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), BOB, {
        "containment": "Routed card payments to the backup gateway",
        "impact_statement": "Card payments failed for about 20 minutes",
        "affected_services": ["payments", "checkout"], "status": "contained"}))
    store.advance(minutes=10)  # 09:30
    await store.run(lambda w: lifecycle.update_task(w, get(w, incident_id),
                                                    lifecycle.tasks.get_task(
                                                        w.session, get(w, incident_id), 1),
                                                    BOB, state="done"))
    store.advance(minutes=20)  # 09:50: the periodic update is due now
    await store.run(lambda w: send_due_updates(w, store.renderer))
    store.advance(minutes=5)  # 09:55
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "eta": "30m", "investigation": "A certificate on the primary gateway expired"}))
    store.advance(minutes=40)  # 10:35
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "restored_at": "2026-03-02T10:30:00Z",
        "root_cause": {"category": "configuration",
                       "text": "The gateway certificate expired; renewal was manual"},
        "resolution_summary": "Renewed the certificate and moved back to the primary gateway",
        "status": "resolved"}))
    store.advance(days=1)  # the next day
    await store.run(lambda w: lifecycle.update_review(
        w, get(w, incident_id), ALICE,
        findings="Certificate renewal for the gateway was a manual yearly task.",
        went_well="Failover to the backup gateway took ten minutes.",
        went_badly="Nobody was told the certificate would expire.",
        recommendations=[
            Recommendation(text="Automate certificate renewal", action_item=True,
                           owner="bob", due_at=store.clock.now() + store.config.cadence.p4 * 14),
            Recommendation(text="Alert 30 days before any certificate expires")],
        completed=True))
    await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id),
                                                      IncidentStatus.CLOSED, ALICE,
                                                      "Review done"))
    return incident_id


async def test_review_report_matches_the_expected_file(store: Store,
                                                       update_golden: bool) -> None:
    incident_id = await script(store)
    store.advance(hours=1)

    def render(session: Session) -> tuple[str, str, dict]:  # type: ignore[type-arg]
        incident = get(Work(session=session, config=store.config, now=store.clock.now()),
                       incident_id)
        report = review_report(session, store.config, incident, store.clock.now())
        return (render_review(store.renderer, report, "md"),
                render_review(store.renderer, report, "html"), report)

    markdown, html, report = await store.read(render)
    expected = EXPECTED / "review_payment_outage.md"
    if update_golden:
        expected.write_text(markdown, encoding="utf-8")
    assert markdown == expected.read_text(encoding="utf-8")
    assert report["cadence"] == {"interval_seconds": 1800.0, "due": 2, "on_time": 1,
                                 "late_or_missed": 1, "sent": 7, "percent": 50.0}
    assert report["durations"]["time_to_contain"] == 20 * 60
    assert "<td>Automate certificate renewal</td>" in html
    assert "<script" not in html


async def test_html_report_escapes_what_people_wrote(sqlite_store: Store) -> None:
    incident_id = await sqlite_store.webhook({"title": "<script>alert(1)</script>",
                                              "dedup_key": "xss"})

    def render(session: Session) -> str:
        incident = get(Work(session=session, config=sqlite_store.config,
                            now=sqlite_store.clock.now()), incident_id)
        report = review_report(session, sqlite_store.config, incident, sqlite_store.clock.now())
        return render_review(sqlite_store.renderer, report, "html")

    html = await sqlite_store.read(render)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


async def test_review_reminder_goes_once_to_the_assignee(store: Store) -> None:
    incident_id = await store.webhook(PAYMENT)
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "assignee": "alice@example.org", "status": "resolved"}))
    store.advance(days=2)
    assert await store.run(lambda w: remind_reviews(w, store.renderer)) == 0
    store.advance(days=1, minutes=1)
    assert await store.run(lambda w: remind_reviews(w, store.renderer)) == 1
    store.advance(days=1)
    assert await store.run(lambda w: remind_reviews(w, store.renderer)) == 0
    mails = await store.mails(incident_id)
    assert mails[-1] == ("review_reminder", ["alice@example.org"])
    assert "reminder" in await store.kinds(incident_id)


@pytest.mark.parametrize("priority", [3])
async def test_no_reminder_below_the_gated_priorities(sqlite_store: Store,
                                                      priority: int) -> None:
    incident_id = await sqlite_store.webhook(PAYMENT)
    await sqlite_store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "priority": priority, "status": "resolved"}))
    sqlite_store.advance(days=4)
    assert await sqlite_store.run(lambda w: remind_reviews(w, sqlite_store.renderer)) == 0
