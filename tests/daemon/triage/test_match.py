"""Matcher semantics, table-driven: each matcher alone, combinations, time windows and DST."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest

from daemon.triage import ReportContext
from daemon.triage.match import Subject, Vocabulary, matches
from daemon.triage.schema import Matcher
from daemon.triage.windows import TimeWindow
from parsers import Severity
from tests.daemon.triage.support import EMAIL, NOON, WEBHOOK, report, rules

VOCABULARY = rules("""
[time_windows.business-hours]
days = ["mon-fri"]
from = "08:00"
to = "18:00"
timezone = "Europe/Berlin"

[time_windows.night]
days = ["mon-sun"]
from = "22:00"
to = "06:00"
timezone = "Europe/Berlin"

[matchers.production]
labels = { env = "prod" }
""")
VOCAB = Vocabulary(VOCABULARY.time_windows, VOCABULARY.matchers)
DISK = {"labels": {"env": "prod", "team": "dba", "alertname": "DiskFull"},
        "description": "Disk /var is 97% full on db-1", "service": "Postgres",
        "severity": Severity.HIGH}

# (matcher as TOML inline table, report fields, context, matches?)
CASES: list[tuple[str, dict[str, Any], ReportContext, bool]] = [
    ("{}", {}, WEBHOOK, True),
    ("{ source = 'webhook' }", {}, WEBHOOK, True),
    ("{ source = ['email', 'api'] }", {}, WEBHOOK, False),
    ("{ integration = 'alertmanager' }", {}, WEBHOOK, True),
    ("{ integration = 'grafana' }", {}, WEBHOOK, False),
    ("{ sender = '@example.org' }", {}, EMAIL, True),
    ("{ sender = 'ALICE@example.org' }", {}, EMAIL, True),
    ("{ sender = '@other.org' }", {}, EMAIL, False),
    ("{ sender = '@example.org' }", {}, WEBHOOK, False),  # no sender at all
    ("{ labels = { env = 'prod', team = 'dba' } }", DISK, WEBHOOK, True),
    ("{ labels = { env = 'prod', team = 'web' } }", DISK, WEBHOOK, False),
    ("{ labels_not = { env = 'staging' } }", DISK, WEBHOOK, True),
    ("{ labels_not = { env = 'prod' } }", DISK, WEBHOOK, False),
    ("{ labels_not = { env = 'prod' } }", {}, WEBHOOK, True),  # absent is not equal
    ("{ labels_exist = ['team'] }", DISK, WEBHOOK, True),
    ("{ labels_exist = ['team', 'owner'] }", DISK, WEBHOOK, False),
    ("{ labels_regex = { alertname = 'Disk.*' } }", DISK, WEBHOOK, True),
    ("{ labels_regex = { alertname = 'Disk' } }", DISK, WEBHOOK, False),  # anchored
    ("{ labels_regex = { owner = '.*' } }", DISK, WEBHOOK, False),  # must exist
    ("{ title = 'disk (full|space)' }", {"title": "DISK FULL on db-1"}, WEBHOOK, True),
    ("{ title = '^full' }", {"title": "Disk full"}, WEBHOOK, False),
    ("{ body = '9[0-9]% full' }", DISK, WEBHOOK, True),
    ("{ keywords = ['outage', 'down'] }", {"title": "Checkout is DOWN"}, WEBHOOK, True),
    ("{ keywords = ['down'] }", {"title": "Downtime planned"}, WEBHOOK, False),  # whole words
    ("{ keywords = ['data loss'] }", {"description": "we had some data\n  loss"}, EMAIL, True),
    ("{ keywords = ['c++'] }", {"title": "the c++ build broke"}, EMAIL, True),
    ("{ service = 'postgres' }", DISK, WEBHOOK, True),
    ("{ service = ['mysql'] }", DISK, WEBHOOK, False),
    ("{ severity = ['high'] }", DISK, WEBHOOK, True),
    ("{ severity = ['low', 'medium'] }", DISK, WEBHOOK, False),
    ("{ severity = ['high'] }", {}, WEBHOOK, False),  # not reported
    ("{ use = ['production'] }", DISK, WEBHOOK, True),
    ("{ use = ['production'] }", {}, WEBHOOK, False),
    ("{ any = [{ title = 'nope' }, { labels = { team = 'dba' } }] }", DISK, WEBHOOK, True),
    ("{ any = [{ title = 'nope' }, { labels = { team = 'web' } }] }", DISK, WEBHOOK, False),
    ("{ all = [{ labels_exist = ['team'] }, { severity = ['high'] }] }", DISK, WEBHOOK, True),
    ("{ all = [{ labels_exist = ['team'] }, { severity = ['low'] }] }", DISK, WEBHOOK, False),
    ("{ not = { labels = { env = 'prod' } } }", DISK, WEBHOOK, False),
    ("{ not = { labels = { env = 'prod' } } }", {}, WEBHOOK, True),
    ("{ source = 'webhook', not = { any = [{ title = 'test' }, { severity = ['low'] }] } }",
     {"title": "Disk full", **{k: v for k, v in DISK.items() if k != "title"}}, WEBHOOK, True),
    ("{ during = 'business-hours' }", {}, WEBHOOK, True),  # Wednesday 12:00 Berlin
    ("{ during = 'night' }", {}, WEBHOOK, False),
    ("{ not = { during = 'business-hours' } }", {}, WEBHOOK, False),
    ("{ during = ['night', 'business-hours'] }", {}, WEBHOOK, True),
]


def _matcher(text: str) -> Matcher:
    return Matcher.model_validate(tomllib.loads(f"m = {text}")["m"])


@pytest.mark.parametrize(("matcher", "fields", "context", "expected"), CASES)
def test_matcher(matcher: str, fields: dict[str, Any], context: ReportContext,
                 expected: bool) -> None:
    subject = Subject(report(**fields), context, NOON)
    assert matches(_matcher(matcher), subject, VOCAB) is expected


BUSINESS = VOCABULARY.time_windows["business-hours"]
NIGHT = VOCABULARY.time_windows["night"]


@pytest.mark.parametrize(("window", "when", "inside"), [
    # Friday before the spring change (CET, UTC+1): 08:00-18:00 local is 07:00-17:00 UTC
    (BUSINESS, datetime(2026, 3, 27, 6, 59, tzinfo=UTC), False),
    (BUSINESS, datetime(2026, 3, 27, 7, 0, tzinfo=UTC), True),
    (BUSINESS, datetime(2026, 3, 27, 16, 59, tzinfo=UTC), True),
    (BUSINESS, datetime(2026, 3, 27, 17, 0, tzinfo=UTC), False),
    # Sunday 2026-03-29 the clocks go forward; never business hours on a Sunday
    (BUSINESS, datetime(2026, 3, 29, 9, 0, tzinfo=UTC), False),
    # Monday after (CEST, UTC+2): the same local hours are 06:00-16:00 UTC
    (BUSINESS, datetime(2026, 3, 30, 5, 59, tzinfo=UTC), False),
    (BUSINESS, datetime(2026, 3, 30, 6, 0, tzinfo=UTC), True),
    (BUSINESS, datetime(2026, 3, 30, 15, 59, tzinfo=UTC), True),
    (BUSINESS, datetime(2026, 3, 30, 16, 0, tzinfo=UTC), False),
    # autumn: back to UTC+1 on Sunday 2026-10-25; Monday 08:00 local is 07:00 UTC again
    (BUSINESS, datetime(2026, 10, 23, 6, 0, tzinfo=UTC), True),
    (BUSINESS, datetime(2026, 10, 26, 6, 30, tzinfo=UTC), False),
    (BUSINESS, datetime(2026, 10, 26, 7, 0, tzinfo=UTC), True),
    # over midnight: 22:00 to 06:00 local, on the night the clocks go forward
    (NIGHT, datetime(2026, 3, 28, 20, 59, tzinfo=UTC), False),
    (NIGHT, datetime(2026, 3, 28, 21, 0, tzinfo=UTC), True),  # 22:00 CET
    (NIGHT, datetime(2026, 3, 29, 3, 59, tzinfo=UTC), True),  # 05:59 CEST
    (NIGHT, datetime(2026, 3, 29, 4, 0, tzinfo=UTC), False),  # 06:00 CEST
])
def test_time_windows_follow_the_wall_clock_across_dst(window: TimeWindow, when: datetime,
                                                       inside: bool) -> None:
    assert window.contains(when) is inside
