"""Flapping alerts: many firing/resolved changes in a short time.

An alert whose state changed more than `[correlate] flap_threshold` times
within `flap_window` (its first firing counts) is marked flapping, with a
timeline entry. While an incident has a flapping alert, the pipeline sends no
mail about it and does not resolve it automatically; the alert changes still go
on the timeline. Once the alert has not changed for `flap_settle`, the
scheduler unmarks it and sends one mail: the resolution notice when all the
incident's alerts are resolved (and it auto-resolves), otherwise an update.

The history is a few timestamps on the alert (`flap_history`), trimmed to the
window, so detection needs no extra query.
"""

from __future__ import annotations

import logging
from datetime import datetime

from daemon import lifecycle
from daemon.comms import Renderer, dispatch
from daemon.comms.plan import MessageKind, send
from daemon.config.types import format_duration
from daemon.dedup import correlation_for
from daemon.store import repo
from daemon.store.models import Alert, Incident, IncidentStatus
from daemon.work import SYSTEM, Work

log = logging.getLogger(__name__)


def record_change(work: Work, alert: Alert) -> bool:
    """Note a firing/resolved change of `alert`; True when it has just started flapping."""
    settings = work.config.correlate
    now = work.now
    alert.changed_at = now
    if settings.flap_threshold == 0:
        alert.flap_history = None
        return False
    cutoff = now - settings.flap_window
    recent = [stamp for stamp in alert.flap_history or []
              if datetime.fromisoformat(stamp) > cutoff]
    recent.append(now.isoformat())
    alert.flap_history = recent[-(settings.flap_threshold + 1):]  # a new list: JSON is replaced
    if not alert.flapping and len(recent) > settings.flap_threshold:
        alert.flapping = True
        return True
    return False


def flapping_text(work: Work, titles: list[str]) -> str:
    """The timeline text when alerts start flapping."""
    settings = work.config.correlate
    named = "; ".join(titles[:5]) + (f"; and {len(titles) - 5} more" if len(titles) > 5 else "")
    return (f"Alert flapping: {named} (more than {settings.flap_threshold} changes in "
            f"{format_duration(settings.flap_window)}). Stakeholder mail about this incident "
            f"is held until it stays unchanged for {format_duration(settings.flap_settle)}.")


def hold_mail(work: Work) -> int:
    """Drop this unit of work's events for incidents with a flapping alert; return how many."""
    if not work.events:
        return 0
    held = repo.get_flapping_incident_ids(
        work.session, incident_ids=[event.incident.id for event in work.events])
    if not held:
        return 0
    kept = [event for event in work.events if event.incident.id not in held]
    dropped = len(work.events) - len(kept)
    work.events[:] = kept
    log.info("mail held for flapping incident(s) %s", ", ".join(f"INC-{i}" for i in held))
    return dropped


def settle(work: Work, renderer: Renderer, *, limit: int = 100) -> int:
    """Unmark alerts unchanged for `flap_settle`; one mail per incident; return the count."""
    cutoff = work.now - work.config.correlate.flap_settle
    settled = repo.claim_settled_alerts(work.session, changed_before=cutoff, limit=limit)
    by_incident: dict[int, list[Alert]] = {}
    for alert in settled:
        alert.flapping = False
        alert.flap_history = None
        by_incident.setdefault(alert.incident_id, []).append(alert)
    work.session.flush()
    still = repo.get_flapping_incident_ids(work.session, incident_ids=by_incident)
    for incident_id, alerts in by_incident.items():
        incident = repo.get_incident(work.session, incident_id=incident_id)
        assert incident is not None
        titles = "; ".join(f"{a.title} ({a.status})" for a in alerts[:5])
        lifecycle.add_note(work, incident, SYSTEM, f"Alert settled: {titles}; unchanged for "
                           f"{format_duration(work.config.correlate.flap_settle)}",
                           kind="alert", data={"verb": "settled",
                                               "dedup_keys": [a.dedup_key for a in alerts]})
        if incident_id not in still and incident.is_open:
            _after_settling(work, renderer, incident, alerts)
    dispatch(work, renderer)
    return len(settled)


def _after_settling(work: Work, renderer: Renderer, incident: Incident,
                    alerts: list[Alert]) -> None:
    """The one mail that ends the hold: a resolution if everything resolved, else an update."""
    auto_resolve = correlation_for(work.config, alerts[0].integration).auto_resolve
    if auto_resolve and not repo.count_unresolved_alerts(work.session,
                                                          incident_id=incident.id):
        lifecycle.change_status(work, incident, IncidentStatus.RESOLVED, SYSTEM,
                                "All alerts resolved at the source (after flapping)")
        return  # the status change is mailed by dispatch
    # The update lists what changed since the last mail from the timeline, where
    # settling has just written which alerts settled and in what state.
    send(work, renderer, incident, MessageKind.UPDATE)
