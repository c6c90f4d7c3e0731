"""Metrics across a scripted set of incidents."""

from __future__ import annotations

from datetime import timedelta

from daemon import lifecycle
from daemon.reporting.stats import compute_stats
from daemon.store.models import IncidentStatus
from tests.daemon.lifecycle.support import ALICE, Store, get

S = IncidentStatus


async def test_stats_of_a_scripted_set(store: Store) -> None:
    start = store.clock.now()
    old = await store.webhook({"title": "Backups failing", "severity": "warning",
                               "dedup_key": "backup"})  # stays open, reported 2 days ago
    store.advance(days=2)
    a = await store.webhook({"title": "Site down", "severity": "critical", "dedup_key": "site"})
    b = await store.webhook({"title": "Slow search", "severity": "warning",
                             "dedup_key": "search"})
    c = await store.webhook({"title": "Test page", "severity": "info", "dedup_key": "test"})
    d = await store.webhook({"title": "Disk 90%", "severity": "warning", "dedup_key": "disk"})
    await store.run(lambda w: lifecycle.set_priority(w, get(w, d), ALICE, 2))
    await store.run(lambda w: lifecycle.dismiss(w, get(w, c), ALICE, "false alarm"))
    store.advance(minutes=10)
    await store.run(lambda w: lifecycle.acknowledge(w, get(w, a), ALICE))
    store.advance(minutes=10)
    await store.run(lambda w: lifecycle.acknowledge(w, get(w, b), ALICE))
    store.advance(minutes=10)  # +30m
    await store.run(lambda w: lifecycle.apply_changes(w, get(w, a), ALICE, {
        "containment": "Blocked the bad bot", "status": "contained"}))
    store.advance(minutes=30)  # +60m
    await store.run(lambda w: lifecycle.change_status(w, get(w, a), S.RESOLVED, ALICE))
    store.advance(minutes=60)  # +120m
    await store.run(lambda w: lifecycle.change_status(w, get(w, b), S.RESOLVED, ALICE))
    store.advance(minutes=30)

    now = store.clock.now()
    stats = await store.read(lambda s: compute_stats(s, store.config, now=now,
                                                     since=now - timedelta(days=1)))
    assert stats["incidents"] == 4
    assert stats["by_priority"] == {"P1": 1, "P2": 1, "P3": 1, "P4": 1}
    assert stats["by_severity"] == {"high": 1, "low": 1, "medium": 2}
    assert stats["by_status"] == {"dismissed": 1, "resolved": 2, "triaged": 1}
    assert stats["by_category"] == {"service disruption": 4}  # the built-in triage default
    assert stats["by_source"] == {"webhook": 4}
    assert stats["mtta_seconds"] == {"mean": 900.0, "median": 900.0, "count": 2}
    assert stats["mttr_seconds"] == {"mean": 5400.0, "median": 5400.0, "count": 2}
    assert stats["time_to_contain_seconds"] == {"mean": 1800.0, "median": 1800.0, "count": 1}
    # A (P1, 30 min): opened 0, updates at 10 and 30, resolved 60: the deadline at 60
    # is met by the resolution mail. B (P3, 4 h): resolved within the first interval.
    # D (P2, 1 h), open for 2.5 h with no update since it opened at 0 (its priority
    # change at 0 mailed): deadlines at 1 h and 2 h were missed.
    assert stats["updates"] == {"due": 3, "on_time": 1, "percent_on_time": 33.3}
    assert stats["open_by_age"] == {"under 1h": 0, "1h-4h": 1, "4h-24h": 0, "1d-7d": 1,
                                    "over 7d": 0}
    assert stats["open"] == 2
    assert old == 1
    assert stats["since"] == now - timedelta(days=1)
    assert now - start == timedelta(days=2, hours=2, minutes=30)
