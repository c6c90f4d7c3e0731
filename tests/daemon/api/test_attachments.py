"""Attachments are listed with their metadata and downloaded as files, never inline."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import aiohttp
from click.testing import CliRunner

from daemon.cli import main
from daemon.config import Config
from tests.daemon.mailbox.support import delivered, mail, mail_config
from tests.support import ADMIN_TOKEN, READ_TOKEN, auth, running_daemon

PAGE = b"<html><script>alert(1)</script></html>"
FILES = [("Schaltplan für Raum 2.html", "text/html", PAGE),
         ("photo.png", "image/png", b"\x89PNG" + bytes(range(256))),
         ("dump.bin", "application/octet-stream", b"x" * 4096)]


async def _config(tmp_path: Path) -> Config:
    return await mail_config(tmp_path, **{"mailbox.max_attachment_size": "1k"})


async def test_list_and_download(tmp_path: Path) -> None:
    config, key = await _config(tmp_path), "INC-1"
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        result = await delivered(daemon, mail("See attached.", attachments=FILES))
        assert result["incidents"] == [key]
        base = f"{daemon.url}/api/v1/incidents/{key}/attachments"
        async with http.get(base, headers=auth(READ_TOKEN)) as response:
            assert response.status == 200
            listed = (await response.json())["attachments"]
        assert [(a["filename"], a["content_type"], a["size"], a["truncated"]) for a in listed] == [
            ("Schaltplan für Raum 2.html", "text/html", len(PAGE), False),
            ("photo.png", "image/png", 260, False),
            ("dump.bin", "application/octet-stream", 4096, True)]
        assert listed[0]["sha256"] == hashlib.sha256(PAGE).hexdigest()
        assert listed[0]["sender"] == "alice@example.org"
        assert "data" not in listed[0]

        async with http.get(daemon.url + listed[0]["url"], headers=auth(READ_TOKEN)) as response:
            assert response.status == 200
            assert await response.read() == PAGE
            assert response.headers["Content-Type"] == "text/html"
            assert response.headers["Content-Disposition"] == (
                "attachment; filename=\"Schaltplan f_r Raum 2.html\"; "
                "filename*=UTF-8''Schaltplan%20f%C3%BCr%20Raum%202.html")
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "sandbox" in response.headers["Content-Security-Policy"]
        async with http.get(daemon.url + listed[1]["url"], headers=auth(READ_TOKEN)) as response:
            assert await response.read() == FILES[1][2]
        async with http.get(daemon.url + listed[2]["url"], headers=auth(READ_TOKEN)) as response:
            assert response.status == 410
            assert "max_attachment_size" in (await response.json())["error"]
        async with http.get(daemon.url + listed[0]["url"]) as response:
            assert response.status == 401
        async with http.get(f"{base}/x", headers=auth(ADMIN_TOKEN)) as response:
            assert response.status == 400


def test_incidents_show_lists_attachments(tmp_path: Path) -> None:
    async def fill() -> None:
        async with running_daemon(await _config(tmp_path)) as daemon:
            await delivered(daemon, mail("See attached.", attachments=FILES[1:]))

    asyncio.run(fill())
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\n'
                    f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "db.sqlite"}"\n',
                    encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(main, ["incidents", "show", "INC-1", "--config", str(path)])
    assert shown.exit_code == 0, shown.output
    assert ("     1 photo.png  image/png  260 bytes  from alice@example.org  "
            "/api/v1/incidents/INC-1/attachments/1") in shown.output
    assert "dump.bin  application/octet-stream  4096 bytes  from alice@example.org (metadata " \
           "only: over the size limit)" in shown.output
    as_json = runner.invoke(main, ["incidents", "show", "INC-1", "--config", str(path), "--json"])
    assert [a["filename"] for a in json.loads(as_json.output)["attachments"]] == [
        "photo.png", "dump.bin"]
