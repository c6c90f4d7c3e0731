"""A report acknowledged just before the process dies is processed after restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES

INCIDENTD = [sys.executable, "-m", "daemon"]
TOKEN = "restart-test-token"
ADMIN = "restart-admin-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, data_dir: Path, http: int, smtp: int, *, pipeline: bool) -> None:
    path.write_text(f"""
[server]
http = "127.0.0.1:{http}"
smtp = "127.0.0.1:{smtp}"
data_dir = "{data_dir}"
[integrations.alertmanager]
type = "alertmanager"
token = "{TOKEN}"
[[api.tokens]]
name = "admin"
token = "{ADMIN}"
role = "admin"
[pipeline]
enabled = {"true" if pipeline else "false"}
""", encoding="utf-8")


def request(url: str, body: bytes | None = None, token: str = ADMIN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(url, data=body, headers=headers,
                                 method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def start(config: Path, http: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([*INCIDENTD, "serve", "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise AssertionError(f"daemon exited with {process.returncode}:\n{output}")
        try:
            if request(f"http://127.0.0.1:{http}/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("daemon did not start within 20 s")


@pytest.fixture
def env_config(tmp_path: Path) -> tuple[Path, Path, int, int]:
    data = tmp_path / "data"
    config = tmp_path / "incidentd.toml"
    http, smtp = free_port(), free_port()
    write_config(config, data, http, smtp, pipeline=False)
    subprocess.run([*INCIDENTD, "db", "upgrade", "--config", str(config)], check=True,
                   capture_output=True)
    return config, data, http, smtp


def test_acknowledged_report_survives_a_kill(env_config: tuple[Path, Path, int, int]) -> None:
    config, data, http, smtp = env_config
    body = (FIXTURES / "webhooks" / "alertmanager" / "alerta-v4-firing.json").read_bytes()
    process = start(config, http)
    try:
        status, answer = request(f"http://127.0.0.1:{http}/api/v1/webhooks/alertmanager",
                                 body, token=TOKEN)
        assert status == 202
        intake_id = answer["intake_id"]
        assert request(f"http://127.0.0.1:{http}/api/v1/intake/{intake_id}")[1]["status"] \
            == "accepted"  # acknowledged, not processed: the pipeline is off here
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()

    write_config(config, data, http, smtp, pipeline=True)
    process = start(config, http)
    try:
        deadline = time.monotonic() + 15
        status_body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            status_body = request(f"http://127.0.0.1:{http}/api/v1/intake/{intake_id}")[1]
            if status_body["status"] != "accepted":
                break
            time.sleep(0.1)
        assert status_body["status"] == "parsed"
        assert status_body["incidents"] == ["INC-1"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        if process.stdout:
            process.stdout.close()


def test_unmigrated_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    config = tmp_path / "incidentd.toml"
    write_config(config, tmp_path / "data", free_port(), free_port(), pipeline=True)
    result = subprocess.run([*INCIDENTD, "serve", "--config", str(config)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "has no incidentd schema" in result.stderr
    assert f"run: incidentd db upgrade --config {config}" in result.stderr
