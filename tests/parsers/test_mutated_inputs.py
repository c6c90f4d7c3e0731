"""Parsers on damaged versions of the fixtures: reports, ParseError or Ignored, and nothing else.

A parser that raises anything else gets its row quarantined as an "internal
error", which tells the sender nothing; one that never returns stops the
pipeline. `test_robustness.py` tries a few wrong types at every place of every
payload; here Hypothesis swaps up to three places at once for values of the
wrong type or size (NaN, infinities, 30-digit numbers, "inf" as text,
superscript digits), and adds, replaces or damages lines of real mails. Runs are derandomized, so a
failure reproduces; the examples below are inputs that once failed.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import parsers
from parsers import Ignored, ParseError, RawInput
from parsers._mail.fields import eta_value
from tests.conftest import FIXTURES
from tests.parsers import golden
from tests.parsers.support import json_paths, raw, replaced, value_at
from tests.parsers.test_golden import WEBHOOK_PARSERS

SECONDS_PER_INPUT = 2  # a parser takes milliseconds; more than this is a loop

_PAYLOADS = [(folder.name, path, json.loads(path.read_bytes()))
             for folder in sorted((FIXTURES / "webhooks").iterdir())
             for path in sorted(folder.glob("*.json"))
             if not path.name.endswith(".expected.json")]
_MAILS = [path.read_bytes() for path in sorted((FIXTURES / "email").glob("*/*.eml"))]

_AWKWARD_TEXT = ["", " ", "NaN", "inf", "-Infinity", "1e999", "9" * 30, "-1", "³", "٣",
                 "2024-13-45T99:99:99Z", "0001-01-01T00:00:00Z", "firing", "resolved",
                 "critical", "x" * 5000]
_AWKWARD_VALUES = [None, True, 0, -1, 10**30, -(2**70), float("inf"), float("-inf"),
                   float("nan"), 1e300, [], {}, [None], {"": None}]
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(_AWKWARD_TEXT))
# Half the time one of the known troublemakers, else anything JSON can hold.
_VALUES = st.one_of(
    st.sampled_from(_AWKWARD_VALUES + _AWKWARD_TEXT),
    st.recursive(_SCALARS, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
        max_leaves=6))

_AWKWARD_LINES = [
    "ETA: " + "9" * 400 + "h", "ETA: in 99999999999999999 days", "Severity: ³", "Priority: P³",
    "Date: Mon, 99 Foo 99999 99:99:99 +9999", "Content-Type: text/plain; charset=x-unknown",
    "Content-Transfer-Encoding: base64", "Subject: =?x-bad?q?=FF?=", "Discovered: inf",
    "Discovered: 9999-99-99", "Location: " + "A" * 5000, "Impact: 1e999",
    'Content-Type: multipart/mixed; boundary=""', "\x00\x01", "ETA: 2h and 3m",
    "Estimated resolution: 31/02/2026 10:00", "#priority 9999999999999999999999"]
_LINES = st.one_of(  # half of them known troublemakers
    st.sampled_from(_AWKWARD_LINES),
    st.one_of(st.text(max_size=60),
              st.binary(max_size=40).map(lambda data: data.decode("latin-1"))))

_SETTINGS = settings(derandomize=True, database=None, deadline=None,
                     suppress_health_check=list(HealthCheck))


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def expired(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"the parser ran for more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _outcome(parser: str, raw: RawInput) -> str:
    """Parse; any exception but `ParseError` and `Ignored` fails the test."""
    with _time_limit(SECONDS_PER_INPUT):
        try:
            reports = parsers.parse(parser, raw)
        except ParseError:
            return "error"
        except Ignored:
            return "ignored"
        for report in reports:
            json.dumps(report.to_json())  # what is stored must serialize
    return "reports"


@st.composite
def _damaged_payload(draw: st.DrawFn) -> tuple[str, bytes]:
    folder, _, document = draw(st.sampled_from(_PAYLOADS))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(json_paths(document))
        leaves = [path for path in paths
                  if not isinstance(value_at(document, path), dict | list)]
        prefer_leaves = bool(leaves) and draw(st.booleans())
        path = draw(st.sampled_from(leaves if prefer_leaves else paths))
        document = replaced(document, path, draw(_VALUES))
    return folder, json.dumps(document).encode()  # NaN and infinities as the stdlib writes them


@st.composite
def _damaged_mail(draw: st.DrawFn) -> bytes:
    lines = draw(st.sampled_from(_MAILS)).split(b"\n")
    body = next((n + 1 for n, line in enumerate(lines) if not line.strip()), 0)
    for _ in range(draw(st.integers(1, 4))):
        # Often the body's first line, where reply commands are read; else anywhere.
        at = body if draw(st.booleans()) else draw(st.integers(0, len(lines)))
        line = draw(_LINES).encode("utf-8", "surrogateescape")
        if at < len(lines) and draw(st.booleans()):
            lines[at] = line
        else:
            lines.insert(at, line)
    return b"\n".join(lines)


def _webhook(folder: str, body: bytes) -> tuple[str, RawInput]:
    parser, options = WEBHOOK_PARSERS[folder]
    return parser, raw(body, options)


def test_there_is_something_to_damage() -> None:
    assert len(_PAYLOADS) > 50
    assert len(_MAILS) > 50
    assert {folder for folder, _, _ in _PAYLOADS} == set(WEBHOOK_PARSERS)


@settings(_SETTINGS, max_examples=1500)
@given(_damaged_payload())
# Epoch seconds scaled down by 1000 until plausible: infinity never got there.
@example(("alertmanager", b'{"alerts": [{"status": "firing", "labels": {"alertname": "x"},'
                          b' "startsAt": "inf"}]}'))
@example(("alertmanager", b'{"alerts": [{"status": "firing", "labels": {"alertname": "x"},'
                          b' "startsAt": Infinity}]}'))
@example(("icinga2", b'{"host_name": "db1", "service_state": "inf", "host_state": 1e999}'))
def test_damaged_payloads(case: tuple[str, bytes]) -> None:
    _outcome(*_webhook(*case))


@settings(_SETTINGS, max_examples=1500)
@given(_damaged_mail())
# A reply command's ETA in hours, too many to be a finite number of minutes.
@example(b"From: a@example.net\nSubject: Re: [INC-1] Printer\n\nETA: " + b"9" * 400 + b"h\n")
def test_damaged_mails(mail: bytes) -> None:
    _outcome("email", golden.email_raw(mail))


@pytest.mark.parametrize("start", ["inf", "Infinity", "-inf", "NaN", "1e999"])
def test_unusable_epoch_times_fall_back_to_the_received_time(start: str) -> None:
    value = start if start in ("Infinity", "NaN") else json.dumps(start)
    body = ('{"alerts": [{"status": "firing", "labels": {"alertname": "x"}, '
            f'"startsAt": {value}}}]}}').encode()
    parser, raw = _webhook("alertmanager", body)
    (report,) = parsers.parse(parser, raw)
    assert report.occurred_at == golden.RECEIVED_AT


def test_an_eta_beyond_a_year_is_no_eta() -> None:
    anchor = golden.RECEIVED_AT
    assert eta_value("2h", anchor) == "PT2H"
    assert eta_value("366 days", anchor) == "P366D"
    assert eta_value("367 days", anchor) is None
    assert eta_value("9" * 400 + "h", anchor) is None  # not even a finite number of minutes
