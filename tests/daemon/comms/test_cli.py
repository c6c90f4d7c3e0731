"""`incidentd templates render`: the sample incident, or one from the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from daemon.cli import main
from tests.daemon.lifecycle.support import Store
from tests.support import FakeClock, make_config, migrate


def test_render_the_sample_without_a_database(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[server]\ndata_dir = "{tmp_path / "nothing"}"\n', encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(main, ["templates", "render", "holding", "--config", str(path)])
    assert text.exit_code == 0, text.output
    assert text.output.startswith("Subject: [INC-123] P1 Card payments fail at checkout — "
                                  "Contained\n\nStatus update for INC-123: no change\n")
    html = runner.invoke(main, ["templates", "render", "resolved", "--html",
                                "--config", str(path)])
    assert html.exit_code == 0, html.output
    assert '<body style="' in html.output
    assert not (tmp_path / "nothing").exists()  # a preview touches no database
    bad = runner.invoke(main, ["templates", "render", "nonsense", "--config", str(path)])
    assert bad.exit_code == 2


def test_render_an_incident_from_the_database(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")

    async def fill() -> None:
        await migrate(config)
        store = Store(config, FakeClock())
        await store.webhook({"title": "Mail <relay> down", "severity": "critical",
                             "dedup_key": "relay"})
        await store.close()

    asyncio.run(fill())
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[database]\nurl = "{config.database_url}"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["templates", "render", "update", "--incident", "INC-1",
                                  "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Subject: [INC-1] P1 Mail <relay> down — Triaged\n")
    html = runner.invoke(main, ["templates", "render", "opened", "--incident", "INC-1",
                                "--html", "--config", str(path)])
    assert "Mail &lt;relay&gt; down" in html.output
    missing = runner.invoke(main, ["templates", "render", "update", "--incident", "INC-9",
                                   "--config", str(path)])
    assert missing.exit_code == 1
    assert "no incident INC-9" in missing.output
