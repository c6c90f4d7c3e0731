"""Intake refuses bad input precisely and answers 'retry later' when we fail."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, text

from daemon.config import Config
from daemon.keys import ENGINE, SESSIONS
from daemon.store.models import Intake
from tests.conftest import FIXTURES
from tests.support import (
    ADMIN_TOKEN,
    ALERTMANAGER_TOKEN,
    MAILBOX,
    Daemon,
    make_config,
    migrate,
    running_daemon,
    smtp_call,
)

FIRING = (FIXTURES / "webhooks" / "alertmanager" / "alerta-v4-firing.json").read_bytes()


async def post(daemon: Daemon, path: str, body: bytes, headers: dict[str, str]
               ) -> tuple[int, dict[str, object], dict[str, str]]:
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{daemon.url}{path}", data=body, headers=headers)
        return response.status, await response.json(), dict(response.headers)


async def intake_rows(daemon: Daemon) -> int:
    async with daemon.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(Intake)) or 0)


JSON = {"Content-Type": "application/json"}
BEARER = {**JSON, "Authorization": f"Bearer {ALERTMANAGER_TOKEN}"}


@pytest.mark.parametrize(("path", "headers", "status", "error"), [
    ("/api/v1/webhooks/alertmanager", JSON, 401, "missing token"),
    ("/api/v1/webhooks/alertmanager", {**JSON, "Authorization": "Bearer nope"}, 401,
     "wrong token"),
    ("/api/v1/webhooks/alertmanager?token=nope", JSON, 401, "wrong token"),
    ("/api/v1/webhooks/alertmanager", {**JSON, "Authorization": f"Basic {ALERTMANAGER_TOKEN}"},
     401, "missing token"),
    ("/api/v1/webhooks/nosuch", BEARER, 404, "no integration named 'nosuch'"),
    ("/api/v1/webhooks/alertmanager",
     {**BEARER, "Content-Type": "application/x-www-form-urlencoded"}, 415, "content type"),
])
async def test_refusals_store_nothing(config: Config, path: str, headers: dict[str, str],
                                      status: int, error: str) -> None:
    async with running_daemon(config) as daemon:
        got, body, response_headers = await post(daemon, path, FIRING, headers)
        assert got == status
        assert error in str(body["error"])
        if status == 401:
            assert response_headers["WWW-Authenticate"].startswith("Bearer")
        assert await intake_rows(daemon) == 0


async def test_query_token_is_accepted(config: Config) -> None:
    async with running_daemon(config) as daemon:
        status, body, _ = await post(
            daemon, f"/api/v1/webhooks/alertmanager?token={ALERTMANAGER_TOKEN}", FIRING, JSON)
        assert status == 202
        assert isinstance(body["intake_id"], int)


@pytest.mark.parametrize(("body", "error"), [
    (b"", "empty body"),
    (b"{not json", "body is not JSON: Expecting property name"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 100_000, "nested too deeply"),  # deeper than any parser here recurses
    (b'{"a": 1} trailing', "body is not JSON: Extra data at line 1 column 10"),
])
async def test_bad_bodies_are_400_with_the_reason(config: Config, body: bytes,
                                                  error: str) -> None:
    async with running_daemon(config) as daemon:
        status, answer, _ = await post(daemon, "/api/v1/webhooks/alertmanager", body, BEARER)
        assert status == 400
        assert error in str(answer["error"])
        assert answer["field"] == "body"
        assert await intake_rows(daemon) == 0


@pytest.mark.parametrize("body", [
    b'\xef\xbb\xbf{"status": "firing", "alerts": []}',  # a byte-order mark some tools send
    b'{"value": NaN}',  # not RFC 8259, but Python's own JSON reads it, and so do the parsers
])
async def test_json_the_parsers_read_is_accepted(config: Config, body: bytes) -> None:
    async with running_daemon(config) as daemon:
        status, answer, _ = await post(daemon, "/api/v1/webhooks/alertmanager", body, BEARER)
        assert status == 202, answer
        assert await intake_rows(daemon) == 1


async def test_oversized_body_is_413(tmp_path: Path) -> None:
    config = make_config(tmp_path, **{"server.max_body_size": "1k"})
    await migrate(config)
    async with running_daemon(config) as daemon:
        status, answer, _ = await post(daemon, "/api/v1/webhooks/alertmanager",
                                       b'{"x": "' + b"a" * 4096 + b'"}', BEARER)
        assert status == 413
        assert "1024 bytes" in str(answer["error"])
        assert await intake_rows(daemon) == 0


async def test_an_api_body_over_the_server_limit_is_413_with_the_limit(tmp_path: Path) -> None:
    config = make_config(tmp_path, **{"server.max_body_size": "1k"})
    await migrate(config)
    async with running_daemon(config) as daemon:
        status, answer, _ = await post(daemon, "/api/v1/incidents/INC-1/notes",
                                       b'{"text": "' + b"a" * 4096 + b'"}',
                                       {**JSON, "Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert (status, answer["error"]) == (413, "body too large; the limit is 1024 bytes")


async def test_wrong_method_is_405_and_unknown_route_404(config: Config) -> None:
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        response = await http.get(f"{daemon.url}/api/v1/webhooks/alertmanager")
        assert response.status == 405
        assert response.headers["Allow"] == "POST"
        response = await http.get(f"{daemon.url}/nothing/here")
        assert response.status == 404
        assert "no such resource" in (await response.json())["error"]


async def break_intake_table(daemon: Daemon) -> None:
    """Make commits fail for real: move the table away through another connection."""
    async with daemon.app[ENGINE].begin() as connection:
        await connection.execute(text("ALTER TABLE intake RENAME TO intake_away"))


async def restore_intake_table(daemon: Daemon) -> None:
    async with daemon.app[ENGINE].begin() as connection:
        await connection.execute(text("ALTER TABLE intake_away RENAME TO intake"))


async def test_store_failure_answers_503_then_recovers(config: Config) -> None:
    async with running_daemon(config) as daemon:
        await break_intake_table(daemon)
        status, answer, headers = await post(daemon, "/api/v1/webhooks/alertmanager",
                                             FIRING, BEARER)
        assert status == 503
        assert "retry later" in str(answer["error"])
        assert headers["Retry-After"] == "5"
        await restore_intake_table(daemon)
        assert await intake_rows(daemon) == 0  # nothing half-written
        status, _, _ = await post(daemon, "/api/v1/webhooks/alertmanager", FIRING, BEARER)
        assert status == 202
        assert await intake_rows(daemon) == 1


async def test_store_failure_answers_451_to_smtp(config: Config) -> None:
    message = EmailMessage()
    message["From"] = "alice@example.org"
    message["To"] = MAILBOX
    message["Subject"] = "Lights out on floor 3"
    message.set_content("All lights are out.")
    async with running_daemon(config) as daemon:
        await break_intake_table(daemon)
        with pytest.raises(smtplib.SMTPDataError) as caught:
            await smtp_call(daemon.smtp_port, lambda c: c.send_message(message))
        assert caught.value.smtp_code == 451
        await restore_intake_table(daemon)
        assert await intake_rows(daemon) == 0
        refused = await smtp_call(daemon.smtp_port, lambda c: c.send_message(message))
        assert refused == {}
        assert await intake_rows(daemon) == 1
