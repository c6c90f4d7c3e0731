"""/metrics: the named series exist and move when traffic flows."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from daemon.config import Config
from tests.support import (
    GENERIC_TOKEN,
    MAILBOX,
    Daemon,
    auth,
    make_config,
    migrate,
    running_daemon,
    smtp_call,
    wait_for,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(daemon: Daemon, **params: str) -> Samples:
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{daemon.url}/metrics", params=params)
        assert response.status == 200, await response.text()
        assert response.content_type == "text/plain"
        text = await response.text()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str) -> float:
    return sum(v for (n, _), v in samples.items() if n == name)


async def post(daemon: Daemon, body: bytes, token: str) -> int:
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{daemon.url}/api/v1/webhooks/generic", data=body,
                                   headers={**auth(token), "Content-Type": "application/json"})
        return response.status


async def test_series_move_with_traffic(tmp_path: Path, db_url: str) -> None:
    config = make_config(tmp_path / "data", db_url, **{"server.max_body_size": "4k"})
    await migrate(config)
    async with running_daemon(config) as daemon:
        before = await scrape(daemon)
        names = {name for name, _ in before}
        for expected in ("incidentd_build_info", "incidentd_intake_backlog",
                         "incidentd_intake_quarantined", "incidentd_incidents_open",
                         "incidentd_outbox_messages", "incidentd_outbox_oldest_pending_seconds",
                         "incidentd_pipeline_latency_seconds_count",
                         "incidentd_smtp_sessions_total", "incidentd_event_loop_lag_seconds",
                         "incidentd_database_up"):
            assert expected in names, expected
        assert value(before, "incidentd_incidents_open", priority="1") == 0
        assert total(before, "incidentd_intake_total") == 0

        assert await post(daemon, b'{"title": "Checkout down", "severity": "critical"}',
                          GENERIC_TOKEN) == 202
        assert await post(daemon, b'{"title": "x"}', "wrong-token") == 401
        assert await post(daemon, b'{"title": "' + b"x" * 8000 + b'"}', GENERIC_TOKEN) == 413
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.org", MAILBOX, "Help"
        message.set_content("The printer is on fire.")
        await smtp_call(daemon.smtp_port, lambda c: c.send_message(message))

        def refused(client: smtplib.SMTP) -> Any:
            client.ehlo()
            client.mail("a@example.org")
            return client.rcpt("someone@elsewhere.example")

        await smtp_call(daemon.smtp_port, refused)

        async def all_delivered() -> bool:
            # Each new incident's notice, and the mail reporter's acknowledgement, are
            # delivered by the outbox tick that queueing kicks.
            samples = await scrape(daemon)
            return value(samples, "incidentd_outbox_deliveries_total", outcome="sent") >= 3

        await wait_for(all_delivered)
        after = await scrape(daemon)

    def intake(source: str, integration: str, outcome: str) -> float:
        return value(after, "incidentd_intake_total", source=source, integration=integration,
                     outcome=outcome)

    assert intake("webhook", "generic", "accepted") == 1
    assert intake("webhook", "generic", "rejected-auth") == 1
    assert intake("webhook", "generic", "rejected-size") == 1
    assert intake("smtp", "mailbox", "accepted") == 1
    assert value(after, "incidentd_smtp_rejections_total", code="550") == 1
    assert value(after, "incidentd_smtp_sessions_total") == 2
    assert value(after, "incidentd_pipeline_latency_seconds_count") == 2
    assert total(after, "incidentd_incidents_open") == 2
    assert value(after, "incidentd_incidents_open", priority="1") == 1
    assert value(after, "incidentd_intake_backlog") == 0
    assert value(after, "incidentd_outbox_deliveries_total", outcome="sent") == 3
    assert value(after, "incidentd_outbox_delivery_latency_seconds_count") == 3
    assert value(after, "incidentd_outbox_messages", state="pending") == 0
    assert value(after, "incidentd_scheduler_lag_seconds_count", job="outbox") >= 1
    assert value(after, "incidentd_database_up") == 1
    webhook = "/api/v1/webhooks/{integration}"
    assert value(after, "incidentd_http_requests_total", method="POST", route=webhook,
                 status="202") == 1
    assert value(after, "incidentd_http_requests_total", method="POST", route=webhook,
                 status="401") == 1
    routes = {dict(labels).get("route") for name, labels in after
              if name == "incidentd_http_requests_total"}
    assert routes == {webhook, "/metrics"}  # templates, never raw paths


async def test_metrics_token_is_required_when_set(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", **{"metrics.token": "metrics-secret-token"})
    await migrate(config)
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        assert (await http.get(f"{daemon.url}/metrics")).status == 401
        assert (await http.get(f"{daemon.url}/metrics",
                               headers=auth("metrics-secret-token"))).status == 200
        samples = await scrape(daemon, token="metrics-secret-token")
    assert value(samples, "incidentd_http_requests_total", method="GET", route="/metrics",
                 status="401") == 1


async def test_each_app_has_its_own_registry(config: Config) -> None:
    async with running_daemon(config) as first, running_daemon(config) as second:
        await post(first, b'{"title": "only on the first"}', GENERIC_TOKEN)
        one, two = await scrape(first), await scrape(second)
    assert total(one, "incidentd_intake_total") == 1
    assert total(two, "incidentd_intake_total") == 0
