"""Every vendored webhook fixture, posted over HTTP, stores the reports its golden file lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from daemon.store.models import IntakeStatus
from tests.conftest import FIXTURES
from tests.daemon.integrations.support import configured, drained, intake, post, reports
from tests.parsers.golden import expected_path
from tests.parsers.test_golden import WEBHOOK_PARSERS
from tests.support import running_daemon

COMPARED = ("title", "severity", "status", "dedup_key", "service")
TOKEN = "fixture-token"


def fixtures() -> list[Path]:
    return sorted(path for path in (FIXTURES / "webhooks").glob("*/*.json")
                  if not path.name.endswith(".expected.json"))


async def test_every_fixture_gives_its_expected_reports(tmp_path: Path, db_url: str) -> None:
    # One integration per fixture folder, of the folder's type, named after the folder.
    integrations = {folder: {"type": parser, "token": TOKEN}
                    for folder, (parser, _) in WEBHOOK_PARSERS.items()}
    config = await configured(tmp_path, db_url, integrations)
    posted: list[tuple[Path, int]] = []
    async with running_daemon(config) as daemon:
        for path in fixtures():
            # SNS posts its JSON envelope as text/plain; the others say application/json.
            kind = "text/plain; charset=UTF-8" if path.parent.name == "aws-sns" \
                else "application/json"
            status, answer, _ = await post(daemon, f"/api/v1/webhooks/{path.parent.name}",
                                           path.read_bytes(), {"Content-Type": kind,
                                                               "Authorization": f"Bearer {TOKEN}"})
            assert status == 202, (path.name, answer)
            posted.append((path, answer["intake_id"]))
        await drained(daemon)
        checked = 0
        for path, intake_id in posted:
            expected = json.loads(expected_path(path).read_text(encoding="utf-8"))
            row = await intake(daemon, intake_id)
            if expected["outcome"] == "ignored":
                assert row.status == IntakeStatus.IGNORED, path.name
                assert row.reason == expected["reason"], path.name
                continue
            assert expected["outcome"] == "reports"
            assert row.status == IntakeStatus.PARSED, (path.name, row.reason)
            stored = [r.data for r in await reports(daemon, intake_id)]
            assert len(stored) == len(expected["reports"]), path.name
            for got, want in zip(stored, expected["reports"], strict=True):
                assert _fields(got) == _fields(want), path.name
            checked += 1
    assert len(posted) == len(fixtures()) > 90
    assert checked == sum(1 for p in fixtures() if json.loads(
        expected_path(p).read_text(encoding="utf-8"))["outcome"] == "reports")


def _fields(report: dict[str, Any]) -> dict[str, Any]:
    return {name: report[name] for name in COMPARED}
