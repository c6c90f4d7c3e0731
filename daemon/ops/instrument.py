"""Where events are counted: HTTP middleware, SMTP replies, deliveries, pipeline, scheduler.

Each piece wraps an existing part from the outside (a middleware, an SMTP
subclass, a notifier wrapper, callbacks), so the parts themselves stay free of
metrics code.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from email.parser import BytesHeaderParser
from typing import Any, TypeVar

from aiohttp import web
from aiosmtpd.smtp import SMTP
from apscheduler.events import JobSubmissionEvent

from daemon.clock import Clock
from daemon.keys import RUNTIME
from daemon.ops.metrics import METRICS, Metrics
from daemon.process import Outcome
from daemon.store.models import IntakeStatus
from daemon.web import Handler
from notifiers import Notifier, OutgoingMessage, PermanentDeliveryError, TemporaryDeliveryError

log = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/api/v1/webhooks/{integration}"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The reply to the end of DATA, for mail.
SMTP_OUTCOMES = {"250": "accepted", "451": "store-failed", "552": "rejected-size"}


def route_template(request: web.Request) -> str:
    """The matched route's template (`/api/v1/incidents/{key}`), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by route template and status."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except BaseException:
        status = 499  # cancelled: the client went away before the answer
        raise
    finally:
        route = route_template(request)
        method = request.method if request.method in METHODS else "other"
        integration = None
        if route == WEBHOOK_ROUTE and method == "POST":
            integration = request.match_info.get("integration", "")
            if integration not in request.app[RUNTIME].config.integrations:
                integration = "unknown"  # keep label values bounded to the configured names
        series = request.app[METRICS].http_series(method, route, status, integration)
        series.requests.inc()
        series.duration.observe(time.perf_counter() - started)
        if series.intake is not None:
            series.intake.inc()


class MeasuredProtocol(SMTP):
    """Counts sessions, refusals and DATA outcomes; mixed into the mailbox protocols."""

    _metrics: Metrics  # set on the class `measured()` derives
    _after_354 = False

    def connection_made(self, transport: Any) -> None:
        """Count new connections (not the second call a STARTTLS makes)."""
        starting = self.transport is None
        super().connection_made(transport)
        if starting and not getattr(self, "refused", False):
            self._metrics.smtp_sessions.inc()

    def count_refusal(self, code: str) -> None:
        """Count a refusal the protocol sent without `push` (421 then close)."""
        self._metrics.smtp_rejections.labels(code).inc()

    async def push(self, status: Any) -> None:
        """Count the reply, then send it."""
        text = status.decode("ascii", "replace") if isinstance(status, bytes) else str(status)
        code = text[:3]
        if code[:1] in ("4", "5"):
            self._metrics.smtp_rejections.labels(code).inc()
        # The reply after "354 End data" answers the message itself.
        if code == "354":
            self._after_354 = True
        elif self._after_354:
            self._after_354 = False
            outcome = SMTP_OUTCOMES.get(code, "rejected" if code[:1] == "5" else "error")
            self._metrics.intake.labels("smtp", "mailbox", outcome).inc()
        await super().push(status)


P = TypeVar("P", bound=SMTP)


def measured(kind: type[P], metrics: Metrics) -> type[P]:
    """`kind` (SMTP or LMTP) with its sessions and answers counted in `metrics`."""
    derived = type(f"Measured{kind.__name__}", (MeasuredProtocol, kind), {"_metrics": metrics})
    return derived


class MeasuredNotifier:
    """A `Notifier` that counts and times deliveries and remembers recent failures."""

    def __init__(self, inner: Notifier, metrics: Metrics, clock: Clock) -> None:
        self._inner = inner
        self._metrics = metrics
        self._clock = clock
        self.consecutive_failures = 0
        self.last_error: str | None = None

    async def deliver(self, message: OutgoingMessage) -> Mapping[str, str] | None:
        """See `Notifier`."""
        started = time.perf_counter()
        try:
            refused = await self._inner.deliver(message)
        except PermanentDeliveryError as exc:
            self._failed("permanent-failure", exc)
            raise
        except TemporaryDeliveryError as exc:
            self._failed("temporary-failure", exc)
            raise
        finally:
            self._metrics.send_duration.observe(time.perf_counter() - started)
        self.consecutive_failures = 0
        self.last_error = None
        self._metrics.deliveries.labels("sent").inc()
        queued = _queued_at(message)
        if queued is not None:
            latency = (self._clock.now() - queued).total_seconds()
            self._metrics.delivery_latency.observe(max(latency, 0.0))
        return refused

    def _failed(self, outcome: str, exc: Exception) -> None:
        self.consecutive_failures += 1
        self.last_error = str(exc)
        self._metrics.deliveries.labels(outcome).inc()


def _queued_at(message: OutgoingMessage) -> datetime | None:
    # The outbox stamps Date: with the time it queued the message.
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(message.raw)
    value = headers.get("Date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


def pipeline_observer(metrics: Metrics, clock: Clock
                      ) -> Callable[[int, Outcome, datetime], None]:
    """The pipeline's `on_processed` callback: count, time and log the outcome."""

    def observe(intake_id: int, outcome: Outcome, received_at: datetime) -> None:
        metrics.processed.labels(outcome.status.value).inc()
        metrics.pipeline_latency.observe(max((clock.now() - received_at).total_seconds(), 0.0))
        if outcome.status is IntakeStatus.PARSED:
            log.info("pipeline processed intake=%d status=%s incident=%s queued=%d", intake_id,
                     outcome.status, ",".join(outcome.incident_keys) or "-", outcome.queued)

    return observe


def scheduler_listener(metrics: Metrics) -> Callable[[Any], None]:
    """An APScheduler listener for EVENT_JOB_SUBMITTED: how late each job started."""

    def listen(event: Any) -> None:
        if not isinstance(event, JobSubmissionEvent) or not event.scheduled_run_times:
            return
        scheduled: datetime = event.scheduled_run_times[-1]
        lag = (datetime.now(scheduled.tzinfo) - scheduled).total_seconds()
        metrics.scheduler_lag.labels(event.job_id).observe(max(lag, 0.0))

    return listen
