"""Runtime.reload(): what changes now, what waits for a restart, what is refused."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from daemon.config import load_config
from daemon.keys import RUNTIME
from daemon.runtime import Runtime
from tests.ops.proc import config_text
from tests.support import ADMIN_TOKEN, GENERIC_TOKEN, READ_TOKEN, auth, migrate, running_daemon


def write(path: Path, data_dir: Path, *, http: int = 8080, extra: str = "") -> None:
    path.write_text(config_text(data_dir, http, 2525, extra=extra))


def test_valid_file_swaps_live_settings_and_names_restart_ones(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    write(path, tmp_path / "data")
    runtime = Runtime(load_config(path), config_path=path)
    old_renderer = runtime.renderer
    write(path, tmp_path / "data", http=9090,
          extra='[cadence]\np1 = "10m"\n[integrations.grafana]\ntype = "generic"\n'
                'token = "grafana-token-1"\n')
    result = runtime.reload()
    assert result.ok
    assert result.changed == ("integrations.grafana", "cadence.p1")
    assert result.restart_needed == ("server.http",)
    assert runtime.config.cadence.p1.total_seconds() == 600
    assert runtime.config.server.http == "127.0.0.1:8080"  # still what is listening
    assert runtime.renderer is not old_renderer
    assert "needs a restart to apply: server.http" in result.describe()


def test_invalid_file_keeps_the_old_configuration(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    write(path, tmp_path / "data")
    runtime = Runtime(load_config(path), config_path=path)
    before = runtime.config
    path.write_text(path.read_text() + '\n[cadence]\np1 = "soon"\n')
    result = runtime.reload()
    assert not result.ok
    assert "cadence.p1" in (result.error or "")
    assert runtime.config is before


def test_a_broken_override_template_keeps_the_old_templates(tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "mail"
    templates.mkdir(parents=True)
    (templates / "opened.subject.j2").write_text("[{{ incident.key }}] {{ incident.nope }}")
    path = tmp_path / "incidentd.toml"
    write(path, tmp_path / "data")
    runtime = Runtime(load_config(path), config_path=path)
    write(path, tmp_path / "data", extra=f'[templates]\ndir = "{tmp_path / "templates"}"\n')
    result = runtime.reload()
    assert not result.ok
    assert "mail template 'opened'" in (result.error or "")
    assert "nope" in (result.error or "")
    assert runtime.config.templates.dir is None


async def test_admin_reload_applies_new_tokens(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    write(path, tmp_path / "data", extra='[[api.tokens]]\nname = "viewer"\n'
                                          f'token = "{READ_TOKEN}"\nrole = "read"\n')
    config = load_config(path, overrides={"server.http": "127.0.0.1:0",
                                          "server.smtp": "127.0.0.1:0"})
    await migrate(config)
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        runtime = daemon.app[RUNTIME]
        runtime.config_path = path
        runtime.from_file = True
        runtime.overrides = {"server.http": "127.0.0.1:0", "server.smtp": "127.0.0.1:0"}
        url = f"{daemon.url}/api/v1/admin/reload"
        assert (await http.post(url)).status == 401
        assert (await http.post(url, headers=auth(READ_TOKEN))).status == 403

        path.write_text(path.read_text().replace(GENERIC_TOKEN, "rotated-generic-token"))
        answer = await http.post(url, headers=auth(ADMIN_TOKEN))
        assert answer.status == 200
        assert await answer.json() == {"ok": True, "changed": ["integrations.generic"],
                                       "restart_needed": [], "error": None}
        hook = f"{daemon.url}/api/v1/webhooks/generic"
        body = b'{"title": "after rotation"}'
        json_type = {"Content-Type": "application/json"}
        old = await http.post(hook, data=body, headers={**auth(GENERIC_TOKEN), **json_type})
        new = await http.post(hook, data=body,
                              headers={**auth("rotated-generic-token"), **json_type})
        assert (old.status, new.status) == (401, 202)
