"""The pipeline worker's two failure paths: a bug for one report, and the database down.

A bug quarantines that one row with the error and the rows after it go on; a
database failure leaves the row accepted, and it is processed once the
database answers again. Neither loses or repeats a report.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from daemon import pipeline
from daemon.app import PIPELINE
from daemon.config import Config
from daemon.keys import ENGINE
from daemon.process import Outcome, process_intake
from daemon.store.models import Incident, Intake
from tests.daemon.test_end_to_end import count, post_webhook, processed
from tests.support import GENERIC_TOKEN, running_daemon, wait_for


def generic(title: str) -> bytes:
    return json.dumps({"title": title, "severity": "low", "dedup_key": title}).encode()


async def test_a_bug_for_one_report_quarantines_it_and_the_next_ones_go_on(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    real = process_intake

    def crash_on_the_bad_one(work: Any, renderer: Any, intake: Intake) -> Outcome:
        if b"bad one" in intake.raw:
            raise KeyError("labels")
        return real(work, renderer, intake)

    monkeypatch.setattr(pipeline, "process_intake", crash_on_the_bad_one)
    async with running_daemon(config) as daemon:
        ids = [(await post_webhook(daemon, "generic", generic(title), GENERIC_TOKEN))["intake_id"]
               for title in ("first one", "bad one", "last one")]
        first, bad, last = [await processed(daemon, intake_id) for intake_id in ids]
    assert (first["status"], last["status"]) == ("parsed", "parsed")
    assert bad["status"] == "quarantined"
    assert bad["reason"] == "internal error: KeyError: 'labels'"
    assert bad["incidents"] == []


async def test_rows_wait_while_the_database_fails_and_are_processed_after(
        config: Config) -> None:
    async with running_daemon(config) as daemon:
        engine = daemon.app[ENGINE]
        async with engine.begin() as connection:  # correlation cannot read incidents
            await connection.execute(text("ALTER TABLE incident RENAME TO incident_away"))
        intake_id = (await post_webhook(daemon, "generic", generic("disk full on db1"),
                                        GENERIC_TOKEN))["intake_id"]
        worker = daemon.app[PIPELINE]

        async def failing() -> str | None:
            return worker.last_error

        await wait_for(failing)
        assert "incident" in str(worker.last_error)  # the missing table, as the database says
        async with engine.connect() as connection:
            status = (await connection.execute(
                text("SELECT status, reason FROM intake WHERE id = :id"),
                {"id": intake_id})).one()
        assert tuple(status) == ("accepted", None)  # not quarantined: not its fault
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE incident_away RENAME TO incident"))
        worker.wake()
        done = await processed(daemon, intake_id)  # after the worker's back-off
        assert done["status"] == "parsed"

        async def recovered() -> bool:  # cleared once the pass that committed the row returns
            return worker.last_error is None

        assert await wait_for(recovered)
        assert await count(daemon, Incident) == 1
