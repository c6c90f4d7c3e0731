"""The transition table, SOP gates, acknowledgement, reopening, dismissal and merging."""

from __future__ import annotations

import pytest

from daemon import lifecycle
from daemon.lifecycle import FieldError, GateError, TransitionError
from daemon.store import repo
from daemon.store.models import Incident, IncidentStatus
from daemon.work import Work
from tests.daemon.lifecycle.support import ALICE, Store, get

S = IncidentStatus

# The SOP's transitions, written out independently of the code's table.
ALLOWED = {
    "reported": {"triaged", "responding", "contained", "resolved", "dismissed"},
    "triaged": {"responding", "contained", "resolved", "dismissed"},
    "responding": {"contained", "resolved", "dismissed"},
    "contained": {"responding", "resolved", "dismissed"},
    "resolved": {"closed", "responding"},
    "closed": set(),
    "dismissed": set(),
}

P1 = {"title": "Checkout down", "severity": "critical", "dedup_key": "checkout"}
P4 = {"title": "Printer low on toner", "severity": "low", "dedup_key": "toner"}


def test_transition_table_is_the_sop() -> None:
    assert {s.value: {t.value for t in targets}
            for s, targets in lifecycle.TRANSITIONS.items()} == ALLOWED


async def test_every_transition_is_allowed_or_refused_naming_the_allowed_ones(
        sqlite_store: Store) -> None:
    store = sqlite_store
    incident_id = await store.webhook(P4)

    def attempt(work: Work, old: str, new: str) -> str:
        incident = get(work, incident_id)
        incident.status = old
        incident.resolved_at = None
        incident.dismiss_reason = None
        try:
            if new == "dismissed":
                lifecycle.dismiss(work, incident, ALICE, "false alarm")
            else:
                lifecycle.change_status(work, incident, S(new), ALICE, "because")
        except TransitionError as exc:
            return str(exc)
        return "ok"

    for old, targets in ALLOWED.items():
        for new in S:
            if new.value == old:
                continue
            outcome = await store.run(lambda w, o=old, n=new.value: attempt(w, o, n))
            if new.value in targets:
                assert outcome == "ok", (old, new)
                continue
            assert outcome.startswith(f"cannot change status from {old} to {new}"), outcome
            if targets:
                named = outcome.split("allowed from ")[1]
                assert set(named.split(": ")[1].split(", ")) == targets
            else:
                assert f"{old} is final" in outcome


async def test_transition_sets_its_timestamp_once_and_writes_the_timeline(
        store: Store) -> None:
    incident_id = await store.webhook(P4)
    store.advance(minutes=5)
    await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.RESPONDING,
                                                      ALICE, "on it"))
    first = (await store.incident(incident_id)).responding_at
    store.advance(minutes=5)
    await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.CONTAINED,
                                                      ALICE))
    store.advance(minutes=5)
    await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.RESPONDING,
                                                      ALICE, "spread again"))
    incident = await store.incident(incident_id)
    assert incident.responding_at == first
    assert incident.acknowledged_at == first  # a person moving it on has acknowledged it
    entries = await store.read(lambda s: [
        (e.actor, e.source, e.old, e.new, e.text)
        for e in repo.get_timeline(s, incident_id=incident_id) if e.kind == "status"])
    assert entries == [("alice", "api", "triaged", "responding", "on it"),
                       ("alice", "api", "responding", "contained", ""),
                       ("alice", "api", "contained", "responding", "spread again")]


async def test_containment_gate_for_p1_and_its_message(store: Store) -> None:
    incident_id = await store.webhook(P1)
    assert (await store.incident(incident_id)).priority == 1
    with pytest.raises(GateError) as refused:
        await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.CONTAINED,
                                                          ALICE))
    assert refused.value.missing == ["containment"]
    assert str(refused.value) == ("cannot change status to contained: a P1 incident first "
                                  "needs a containment note (what was done to contain it)")
    # given together, the note is applied first and satisfies the gate
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "status": "contained", "containment": "Failed over to the standby cluster"}))
    assert (await store.incident(incident_id)).status == "contained"


async def test_closing_gate_names_everything_missing(store: Store) -> None:
    incident_id = await store.webhook(P1)
    await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.RESOLVED,
                                                      ALICE))
    with pytest.raises(GateError) as refused:
        await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.CLOSED,
                                                          ALICE))
    assert refused.value.missing == ["root_cause_category", "root_cause", "resolution_summary",
                                     "review"]
    assert "a root cause category, a root cause, a resolution summary, a completed " \
           "post-incident review" in str(refused.value)

    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "root_cause": {"category": "change", "text": "A bad deploy"},
        "resolution_summary": "Rolled back"}))
    with pytest.raises(GateError) as refused:
        await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.CLOSED,
                                                          ALICE))
    assert refused.value.missing == ["review"]
    await store.run(lambda w: lifecycle.update_review(w, get(w, incident_id), ALICE,
                                                      findings="Deploys lacked a canary",
                                                      completed=True))
    await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.CLOSED, ALICE))
    assert (await store.incident(incident_id)).closed_at is not None


async def test_gates_do_not_apply_to_p4(sqlite_store: Store) -> None:
    incident_id = await sqlite_store.webhook(P4)
    for status in (S.CONTAINED, S.RESOLVED, S.CLOSED):
        await sqlite_store.run(lambda w, s=status: lifecycle.change_status(
            w, get(w, incident_id), s, ALICE))
    assert (await sqlite_store.incident(incident_id)).status == "closed"


async def test_reopen_needs_a_reason_and_resumes_updates(store: Store) -> None:
    incident_id = await store.webhook(P1)
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE, {
        "status": "resolved", "restored_at": "now"}))
    first_resolution = (await store.incident(incident_id)).resolved_at
    assert (await store.incident(incident_id)).next_update_at is None
    with pytest.raises(GateError, match="reopening a resolved incident needs a reason"):
        await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.RESPONDING,
                                                          ALICE))
    store.advance(minutes=10)
    await store.run(lambda w: lifecycle.reopen(w, get(w, incident_id), ALICE,
                                               "Errors are back"))
    incident = await store.incident(incident_id)
    assert incident.status == "responding"
    assert incident.resolved_at is None
    assert incident.restored_at is None
    assert incident.next_update_at == store.clock.now() + store.config.cadence.p1
    store.advance(minutes=10)
    await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id), S.RESOLVED,
                                                      ALICE))
    assert (await store.incident(incident_id)).resolved_at == store.clock.now()
    assert store.clock.now() != first_resolution
    kinds = [kind for kind, _ in await store.mails(incident_id)]
    assert kinds == ["opened", "resolved", "update", "resolved"]


async def test_reopening_something_not_resolved_is_refused(sqlite_store: Store) -> None:
    incident_id = await sqlite_store.webhook(P4)
    with pytest.raises(TransitionError, match="from triaged to responding"):
        await sqlite_store.run(lambda w: lifecycle.reopen(w, get(w, incident_id), ALICE, "x"))


async def test_dismiss_needs_a_reason(sqlite_store: Store) -> None:
    incident_id = await sqlite_store.webhook(P4)
    with pytest.raises(GateError, match="dismissing needs a reason"):
        await sqlite_store.run(lambda w: lifecycle.dismiss(w, get(w, incident_id), ALICE, " "))
    with pytest.raises(GateError, match="dismissing needs a reason"):
        await sqlite_store.run(lambda w: lifecycle.change_status(
            w, get(w, incident_id), S.DISMISSED, ALICE))
    await sqlite_store.run(lambda w: lifecycle.dismiss(w, get(w, incident_id), ALICE,
                                                       "false alarm: a test page"))
    incident = await sqlite_store.incident(incident_id)
    assert (incident.status, incident.dismiss_reason) == ("dismissed", "false alarm: a test page")
    assert incident.next_update_at is None


async def test_duplicate_merges_into_the_other_incident(store: Store) -> None:
    target_id = await store.webhook(P1)
    duplicate_id = await store.webhook({"title": "Checkout slow", "severity": "critical",
                                        "dedup_key": "checkout-latency"})
    await store.run(lambda w: setattr(get(w, duplicate_id), "lists", ["oncall", "management"]))
    before_target = await store.mails(target_id)

    def merge(work: Work) -> None:
        lifecycle.dismiss(work, get(work, duplicate_id), ALICE, "same outage",
                          duplicate_of=get(work, target_id))

    await store.run(merge)
    duplicate: Incident = await store.incident(duplicate_id)
    target: Incident = await store.incident(target_id)
    assert duplicate.status == "dismissed"
    assert duplicate.duplicate_of_id == target_id
    assert duplicate.dismiss_reason == f"duplicate of INC-{target_id}: same outage"
    assert target.lists == ["oncall", "management"]
    alerts = await store.read(lambda s: [
        a.dedup_key for a in repo.get_alerts(s, incident_id=target_id)])
    assert alerts == ["checkout", "checkout-latency"]
    assert "merged" in await store.kinds(duplicate_id)
    assert "merged" in await store.kinds(target_id)
    # the duplicate's stakeholders hear once; the target gets no extra mail
    mails = await store.mails(duplicate_id)
    assert [kind for kind, _ in mails] == ["opened", "dismissed"]
    assert set(mails[-1][1]) == {"oncall@example.org", "lead@example.org", "boss@example.org"}
    assert await store.mails(target_id) == before_target
    # a new report with the duplicate's dedup key now joins the target
    assert await store.webhook({"title": "Checkout slow", "severity": "critical",
                                "dedup_key": "checkout-latency"}) == target_id


async def test_merge_refuses_itself_and_closed_targets(sqlite_store: Store) -> None:
    one = await sqlite_store.webhook(P4)
    two = await sqlite_store.webhook({**P4, "dedup_key": "other"})
    with pytest.raises(FieldError, match="itself"):
        await sqlite_store.run(lambda w: lifecycle.dismiss(w, get(w, one), ALICE, "",
                                                           duplicate_of=get(w, one)))
    await sqlite_store.run(lambda w: lifecycle.dismiss(w, get(w, two), ALICE, "false alarm"))
    with pytest.raises(FieldError, match="merge into an open incident"):
        await sqlite_store.run(lambda w: lifecycle.apply_changes(w, get(w, one), ALICE, {
            "status": "dismissed", "duplicate_of": f"INC-{two}"}))


async def test_acknowledge_starts_responding_once(sqlite_store: Store) -> None:
    incident_id = await sqlite_store.webhook(P4)
    await sqlite_store.run(lambda w: lifecycle.acknowledge(w, get(w, incident_id), ALICE))
    first = await sqlite_store.incident(incident_id)
    assert (first.status, first.acknowledged_by, first.assignee) == ("responding", "alice",
                                                                     "alice")
    sqlite_store.advance(minutes=1)
    await sqlite_store.run(lambda w: lifecycle.acknowledge(w, get(w, incident_id), ALICE))
    assert (await sqlite_store.incident(incident_id)).acknowledged_at == first.acknowledged_at
