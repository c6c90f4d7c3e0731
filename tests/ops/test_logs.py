"""Log lines: one per event, key=value or JSON, journald priorities, no secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path

import pytest

from daemon.logs import (
    EventFormatter,
    Redactor,
    Throttle,
    log_context,
    throttle_smtp_warnings,
    under_journald,
)
from tests.daemon.mailbox.support import mail_config
from tests.support import running_daemon


def record(msg: str, *args: object, level: int = logging.INFO,
           exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad\nthing")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("daemon.test", level, __file__, 1, msg, args, exc_info)


def test_text_lines_quote_values_and_carry_the_context() -> None:
    formatter = EventFormatter(style="text", journald=True)
    line = formatter.format(record("webhook auth failed integration=%s reason=%s",
                                   "am", "wrong token"))
    assert line == '<6>INFO daemon.test: webhook auth failed integration=am reason="wrong token"'
    with log_context(intake=7, incident="INC-3"):
        line = formatter.format(record("intake=%d quarantined: %s", 7, "bad", level=30))
    assert line == "<4>WARNING daemon.test: intake=7 quarantined: bad incident=INC-3"


def test_a_traceback_stays_on_the_line() -> None:
    line = EventFormatter(style="text").format(record("boom", level=40, exc=True))
    assert "\n" not in line
    assert line.endswith('\\nValueError: bad\\nthing"')
    assert line[:4].isdigit()  # timestamps outside journald


def test_json_lines_have_typed_fields() -> None:
    with log_context(incident="INC-9"):
        line = EventFormatter(style="json").format(
            record("webhook accepted intake=%d integration=%s size=%d", 5, "am", 12))
    data = json.loads(line)
    assert data["msg"] == "webhook accepted intake=5 integration=am size=12"
    assert (data["intake"], data["integration"], data["size"]) == (5, "am", 12)
    assert data["incident"] == "INC-9"
    assert data["level"] == "info"
    assert "ts" in data


@pytest.mark.parametrize("message", [
    "GET /api/v1/webhooks/x?token=s3cr3t-value&a=1",
    "Authorization: Bearer s3cr3t-value",
    "connect postgresql://incidentd:s3cr3t-value@db/incidentd failed",
    "relay said password=s3cr3t-value",
    "token s3cr3t-value leaked in an error",
])
def test_secrets_never_reach_the_log(message: str) -> None:
    formatter = EventFormatter(redact=Redactor(["s3cr3t-value"]))
    line = formatter.format(record("%s", message))
    assert "s3cr3t" not in line
    assert "***" in line


@pytest.mark.parametrize(("message", "kept"), [
    ("GET /api/v1/webhooks/x?TOKEN=unlisted1&a=1", "GET /api/v1/webhooks/x?TOKEN=***&a=1"),
    ("upstream said Authorization: BEARER unlisted2", "upstream said Authorization: BEARER ***"),
    ("connect postgresql://incidentd:unlisted3@db/incidentd failed",
     "connect postgresql://incidentd:***@db/incidentd failed"),
    ("relay said Passwd=unlisted4", "relay said Passwd=***"),
    # beyond ASCII, case-insensitive matching knows more than lower() does
    ("relay sagte ſecret=unlisted5 (Grüße)", "relay sagte ſecret=*** (Grüße)"),
    ("nothing secret here: size=12 peer=192.0.2.1", "nothing secret here: size=12 peer=192.0.2.1"),
])
def test_secret_looking_values_are_blanked_without_being_configured(message: str,
                                                                    kept: str) -> None:
    assert Redactor()(message) == kept


def test_a_message_format_gives_the_same_line_every_time() -> None:
    """Formats are worked out once; later lines must not differ from the first."""
    formatter = EventFormatter(style="text", journald=True)
    lines = {formatter.format(record("mail from=%s to=%r size=%d 100%% done", "a b", "c", 5))
             for _ in range(3)}
    assert lines == {"<6>INFO daemon.test: mail from=\"a b\" to='c' size=5 100% done"}
    with pytest.raises(TypeError):  # as with logging's own formatter: the handler reports it
        formatter.format(record("two=%s three=%s", "only one"))


def test_journald_is_recognised_by_the_stream_identity(tmp_path: object,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with open(os.devnull, "w") as stream:
        info = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{info.st_dev}:{info.st_ino}")
        assert under_journald(stream)
        monkeypatch.setenv("JOURNAL_STREAM", "1:2")
        assert not under_journald(stream)


def test_a_flood_of_one_kind_of_warning_is_a_line_per_ten_seconds(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    logger = logging.getLogger("test.throttled")
    throttle = Throttle(["%r unrecognised: %s", "%r invalid PROXY handshake"],
                        clock=lambda: now[0])
    logger.addFilter(throttle)
    try:
        for step in (0.0, 1.0, 1.0, 9.0, 0.5):  # at 0, 1, 2, 11, 11.5
            now[0] += step
            logger.warning("%r unrecognised: %s", ("192.0.2.1", 4000), "GET")
            logger.warning("%r invalid PROXY handshake", ("192.0.2.1", 4000))
        logger.warning("another kind")
        logger.warning("another kind")  # not one of those named: never held back
    finally:
        logger.removeFilter(throttle)
    assert [r.getMessage() for r in caplog.records] == [
        "('192.0.2.1', 4000) unrecognised: GET",
        "('192.0.2.1', 4000) invalid PROXY handshake",
        "('192.0.2.1', 4000) unrecognised: GET suppressed=2",  # at 11: the two held back
        "('192.0.2.1', 4000) invalid PROXY handshake suppressed=2",
        "another kind",
        "another kind",
    ]


async def test_bogus_smtp_commands_are_not_a_warning_each(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    throttle = throttle_smtp_warnings()
    config = await mail_config(tmp_path)
    try:
        async with running_daemon(config) as daemon:
            for _ in range(3):  # a scanner, three times
                reader, writer = await asyncio.open_connection("127.0.0.1", daemon.smtp_port)
                await reader.readline()
                writer.write(b"GET / HTTP/1.1\r\n" * 5)
                assert (await asyncio.wait_for(reader.read(), 5)).endswith(
                    b"502 5.5.1 Too many unrecognized commands, goodbye.\r\n")
                writer.close()
    finally:
        logging.getLogger("mail.log").removeFilter(throttle)
    lines = [r.getMessage() for r in caplog.records if r.name == "mail.log"]
    assert len([line for line in lines if "unrecognised" in line]) == 1, lines
    assert len([line for line in lines if "too many bogus commands" in line]) == 1, lines
