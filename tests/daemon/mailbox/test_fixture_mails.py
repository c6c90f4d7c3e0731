"""Every vendored mail over a real SMTP conversation: stored, then a report or a reason.

`tests/daemon/expected/mail_outcomes.json` keeps what each became (title,
sender, an excerpt of the body, attachments, outcome); `pytest
--update-golden` rewrites it after a deliberate change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.keys import SESSIONS
from daemon.store.models import Incident, Intake, Report, StoredAttachment
from tests.conftest import FIXTURES, ROOT
from tests.daemon.mailbox.support import deliver, mail_config
from tests.support import running_daemon, smtp_call, wait_for

MAILS = sorted((FIXTURES / "email").glob("*/*.eml"))
EXPECTED = ROOT / "tests" / "daemon" / "expected" / "mail_outcomes.json"
EXCERPT = 160


def outcomes(session: Session, names: dict[int, str]) -> dict[str, Any]:
    """What each intake row became, keyed by fixture name."""
    found: dict[str, Any] = {}
    for intake in session.scalars(select(Intake).order_by(Intake.id)):
        entry: dict[str, Any] = {"status": intake.status}
        if intake.reason:
            entry["reason"] = intake.reason
        for report in session.scalars(select(Report).where(Report.intake_id == intake.id)):
            incident = session.get(Incident, report.incident_id) if report.incident_id else None
            assert incident is not None
            entry.update({
                "outcome": report.outcome, "incident": incident.key,
                "title": incident.title, "sender": report.sender,
                "excerpt": " ".join(incident.description.split())[:EXCERPT]
                if report.outcome == "opened" else None,
                "attachments": [a.filename for a in session.scalars(
                    select(StoredAttachment).where(StoredAttachment.report_id == report.id)
                    .order_by(StoredAttachment.id))],
            })
        found[names[intake.id]] = entry
    return found


async def test_every_fixture_mail_is_kept_and_explained(tmp_path: Path,
                                                        update_golden: bool) -> None:
    config = await mail_config(tmp_path, **{"mailbox.ack_limit": 1000})
    names: dict[int, str] = {}
    async with running_daemon(config) as daemon:
        for path in MAILS:
            intake_id = await deliver(daemon, path.read_bytes(), mail_from="relay@example.net")
            names[intake_id] = str(path.relative_to(FIXTURES / "email"))

        async def all_processed() -> bool:
            async with daemon.app[SESSIONS]() as session:
                statuses = (await session.scalars(select(Intake.status))).all()
            return len(statuses) == len(MAILS) and "accepted" not in statuses

        await wait_for(all_processed, seconds=60)
        # the server is still there and answering
        code, _ = await smtp_call(daemon.smtp_port, lambda c: c.noop())
        assert code == 250
        async with daemon.app[SESSIONS]() as session:
            actual = await session.run_sync(outcomes, names)

    assert len(actual) == len(MAILS)  # none lost
    for name, entry in actual.items():
        assert entry["status"] in ("parsed", "ignored", "quarantined"), name
        if entry["status"] == "parsed":
            assert entry["outcome"] in ("opened", "updated"), name
            assert entry["title"], name
        else:
            assert entry["reason"], name
    rendered = json.dumps(actual, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if update_golden:
        EXPECTED.write_text(rendered, encoding="utf-8")
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    for name in sorted(expected):
        assert actual.get(name) == expected[name], name
    assert set(actual) == set(expected)


def test_the_expected_file_covers_the_kinds_of_mail_that_matter() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    wanted = {
        # charsets
        "ruby-mail/shift-jis-8bit.eml", "ruby-mail/korean-ks-c-5601-8bit.eml",
        "thunderbird/koi8r-base64-body-and-subject.eml",
        "thunderbird/windows1251-base64-body-and-subject.eml",
        "spamscope-mail-parser/outlook-express-gb2312-8bit.eml",
        "zbateson-hunnysoft/outlook2000-utf7-charset.eml",
        "zbateson-hunnysoft/outlook2000-windows1252-qp.eml",
        # HTML only, forwarded, attachments
        "zbateson-hunnysoft/eudora42-html-only.eml",
        "flanker/forward-as-rfc822-attachment.eml",
        "flanker/iphone-mail-photo.eml",
        # auto-reply, bounce
        "sisimai/autoreply-exchange-automatic-reply.eml", "sisimai/bounce-postfix.eml",
    }
    assert wanted <= set(expected)
    assert expected["sisimai/bounce-postfix.eml"]["status"] == "ignored"
    assert expected["sisimai/autoreply-exchange-automatic-reply.eml"]["status"] == "ignored"
    assert expected["flanker/iphone-mail-photo.eml"]["attachments"]

