"""Field changes: the priority matrix, ETA history, validation, and the mail they cause."""

from __future__ import annotations

import pytest

from daemon import lifecycle
from daemon.lifecycle import LifecycleError
from daemon.store import repo
from tests.daemon.lifecycle.support import ALICE, Store, get

DISK = {"title": "Disk 90%", "severity": "warning", "dedup_key": "disk"}  # P3


async def test_impact_and_urgency_follow_the_matrix_unless_priority_was_set(
        sqlite_store: Store) -> None:
    store = sqlite_store
    incident_id = await store.webhook(DISK)
    await store.run(lambda w: lifecycle.apply_command(w, get(w, incident_id), ALICE,
                                                      "impact", "high"))
    assert (await store.incident(incident_id)).priority == 2  # high × medium
    await store.run(lambda w: lifecycle.apply_command(w, get(w, incident_id), ALICE,
                                                      "priority", "P4"))
    await store.run(lambda w: lifecycle.apply_command(w, get(w, incident_id), ALICE,
                                                      "urgency", "high"))
    incident = await store.incident(incident_id)
    assert (incident.priority, incident.priority_manual) == (4, True)
    await store.run(lambda w: lifecycle.apply_command(w, get(w, incident_id), ALICE,
                                                      "priority", "auto"))
    assert (await store.incident(incident_id)).priority == 1
    # opened, then one update per priority change (the impact/urgency notes ride along)
    assert [kind for kind, _ in await store.mails(incident_id)] == [
        "opened", "update", "update", "update"]


async def test_eta_history_stays_on_the_timeline(sqlite_store: Store) -> None:
    store = sqlite_store
    incident_id = await store.webhook(DISK)
    for value in ("2h", "30m", "none"):
        await store.run(lambda w, v=value: lifecycle.apply_command(w, get(w, incident_id),
                                                                   ALICE, "eta", v))
        store.advance(minutes=1)
    history = await store.read(lambda s: [(e.old, e.new) for e in repo.get_timeline(
        s, incident_id=incident_id) if e.kind == "eta"])
    assert history == [(None, "2026-03-02T11:00:00+00:00"),
                       ("2026-03-02T11:00:00+00:00", "2026-03-02T09:31:00+00:00"),
                       ("2026-03-02T09:31:00+00:00", None)]
    assert (await store.incident(incident_id)).eta is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"colour": "red"}, "colour", "unknown field 'colour'"),
    ({"severity": "huge"}, "severity", "severity must be one of high, medium, low"),
    ({"priority": True}, "priority", "priority must be 1, 2, 3 or 4"),
    ({"eta": "2020-01-01T00:00:00Z"}, "eta", "eta is in the past"),
    ({"eta": "soonish"}, "eta", "eta must be a duration from now"),
    ({"restored_at": "2026-03-02T10:00:00"}, "restored_at", "needs a time zone"),
    ({"root_cause_category": "gremlins"}, "root_cause_category",
     "unknown root cause category 'gremlins'"),
    ({"root_cause": {"why": "x"}}, "root_cause.why", "not a root cause field"),
    ({"duplicate_of": "INC-1"}, "duplicate_of", "duplicate_of goes with status dismissed"),
    ({"status": "dismissed", "duplicate_of": "INC-42"}, "duplicate_of", "no incident INC-42"),
    ({"comment": "why"}, "comment", "comment goes with a status change"),
    ({"status": "sleeping"}, "status", "status must be one of reported"),
    ({"title": "  "}, "title", "title must not be empty"),
    ({}, None, "nothing to change"),
])
async def test_bad_changes_name_the_field(sqlite_store: Store, changes: dict[str, object],
                                          field: str | None, message: str) -> None:
    incident_id = await sqlite_store.webhook(DISK)
    with pytest.raises(LifecycleError) as refused:
        await sqlite_store.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id),
                                                                 ALICE, changes))
    assert refused.value.field == field
    assert message in refused.value.message


async def test_apply_command_takes_the_spellings_people_write(sqlite_store: Store) -> None:
    incident_id = await sqlite_store.webhook(DISK)
    for name, value in (("assign", "erin"), ("ack", "yes"), ("resolution", "Cleaned up"),
                        ("services", "files, backup"), ("root-cause", "Log growth")):
        await sqlite_store.run(lambda w, n=name, v=value: lifecycle.apply_command(
            w, get(w, incident_id), ALICE, n, v))
    incident = await sqlite_store.incident(incident_id)
    assert (incident.assignee, incident.status, incident.resolution_summary,
            incident.affected_services, incident.root_cause) == (
        "erin", "responding", "Cleaned up", ["files", "backup"], "Log growth")
