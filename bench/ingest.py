"""Ingest benchmark: incidentd against bare aiohttp/aiosmtpd servers in the same run.

Starts each server as its own process on a free port, drives it with N
concurrent clients from this process for a fixed time, and prints accepted
requests per second and incidentd's rate as a fraction of the bare server's.
Then measures how fast the pipeline worker turns a stored backlog of alerts
into incidents, and the daemon's peak memory.

    python bench/ingest.py [--concurrency 50] [--seconds 10] [--alerts 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import aiosmtplib

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/webhooks/alertmanager/alertmonitor-grouped-firing-3-alerts.json"
TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def write_config(directory: Path, http: int, smtp: int, *, pipeline: bool,
                 connections: int | None = None) -> Path:
    """The daemon's configuration; `connections` lifts the connection caps to that many
    (every load-generator client comes from one address), None leaves them out (a
    source tree from before they existed)."""
    caps = "" if connections is None else (
        f"max_http_connections = {connections}\n"
        f"max_http_connections_per_client = {connections}\n"
        f"[smtp]\nmax_connections = {connections}\nmax_connections_per_client = {connections}\n")
    path = directory / "incidentd.toml"
    path.write_text(f"""
[server]
http = "127.0.0.1:{http}"
smtp = "127.0.0.1:{smtp}"
data_dir = "{directory / 'data'}"
{caps}[mailbox]
addresses = ["incidents@example.org"]
[integrations.alertmanager]
type = "alertmanager"
token = "{TOKEN}"
[pipeline]
enabled = {'true' if pipeline else 'false'}
[scheduler]
outbox_interval = "1h"
updates_interval = "1h"
""", encoding="utf-8")
    return path


def start(args: list[str], port: int, *, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a server and wait until `port` answers; its log is in the error if it never does."""
    # The log goes to a file, not a pipe nobody reads: a full pipe would stall
    # the server mid-run and show up as a slow rate.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server writes to it while it runs
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, cwd=cwd, env=env)
    try:
        wait_port(port)
    except RuntimeError:
        process.kill()
        process.wait()
        log.seek(0)
        raise RuntimeError(log.read().decode(errors="replace")) from None
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """One measured run against one server process."""

    rate: float
    errors: int
    cpu_ms: float  # server CPU per accepted request: steadier than the rate on a busy machine


def measure(pid: int, work: Coroutine[Any, Any, tuple[float, int]], seconds: float) -> Run:
    before = cpu_seconds(pid)
    rate, errors = asyncio.run(work)
    used = cpu_seconds(pid) - before
    return Run(rate, errors, 1000 * used / max(rate * seconds, 1))


def warm_up_load_generator() -> None:
    """Grow this process's heap once, before anything is measured.

    The load generator bounds the bare servers' rates, and its speed depends
    on its heap: the same HTTP client went from 12,800 to 16,300 requests/s
    once a million small objects had been made and freed (fewer page faults
    and heap growth later on). Unwarmed, the first runs of a benchmark drive
    the bare servers with a slower client than the later ones.
    """
    junk = [{"n": n, "s": [n, str(n)]} for n in range(1_000_000)]
    del junk


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def drive(worker: Callable[[], Awaitable[None]], concurrency: int, seconds: float
                ) -> tuple[float, int]:
    """Run `worker` in `concurrency` loops for `seconds`; return (rate per second, errors)."""
    done = 0
    errors = 0
    deadline = time.monotonic() + seconds

    async def loop() -> None:
        nonlocal done, errors
        while time.monotonic() < deadline:
            try:
                await worker()
                done += 1
            except Exception:  # noqa: BLE001 - counted and reported
                errors += 1

    started = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return done / (time.monotonic() - started), errors


async def webhook_rate(port: int, body: bytes, concurrency: int, seconds: float
                       ) -> tuple[float, int]:
    url = f"http://127.0.0.1:{port}/api/v1/webhooks/alertmanager"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def post() -> None:
            async with http.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 202:
                    raise RuntimeError(response.status)

        return await drive(post, concurrency, seconds)


def mail_bytes() -> bytes:
    message = EmailMessage()
    message["From"] = "Alice Example <alice@example.org>"
    message["To"] = "incidents@example.org"
    message["Subject"] = "Printer on fire in building B"
    message["Message-ID"] = "<bench@example.org>"
    message.set_content("Location: Building B\nImpact: high\n\n" + "The printer is on fire.\n" * 40)
    return message.as_bytes()


async def smtp_rate(port: int, concurrency: int, seconds: float) -> tuple[float, int]:
    raw = mail_bytes()
    clients = []
    for _ in range(concurrency):
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
        await client.connect()
        clients.append(client)
    free: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
    for client in clients:
        free.put_nowait(client)

    async def send() -> None:
        client = await free.get()
        try:
            await client.sendmail("alice@example.org", ["incidents@example.org"], raw)
        finally:
            free.put_nowait(client)

    try:
        return await drive(send, concurrency, seconds)
    finally:
        for client in clients:
            with contextlib.suppress(aiosmtplib.SMTPException):
                await client.quit()


def storm_payloads(alerts: int, per_request: int, groups: int) -> list[bytes]:
    base = json.loads(FIXTURE.read_bytes())
    template = base["alerts"][0]
    bodies = []
    for start in range(0, alerts, per_request):
        group = (start // per_request) % groups
        batch = []
        for n in range(start, min(start + per_request, alerts)):
            alert = json.loads(json.dumps(template))
            alert["labels"]["instance"] = f"10.0.{n // 250}.{n % 250}"
            alert["fingerprint"] = f"{n:016x}"
            batch.append(alert)
        bodies.append(json.dumps({**base, "groupKey": f"{{}}:{{group=\"{group}\"}}",
                                  "alerts": batch}).encode())
    return bodies


async def post_all(port: int, bodies: list[bytes], concurrency: int) -> None:
    url = f"http://127.0.0.1:{port}/api/v1/webhooks/alertmanager"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with aiohttp.ClientSession() as http:
        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                async with http.post(url, data=body, headers=headers) as response:
                    if response.status != 202:
                        raise RuntimeError(await response.text())

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def backlog(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as connection:
        return int(connection.execute(
            "SELECT count(*) FROM intake WHERE status = 'accepted'").fetchone()[0])


def processing_seconds(database: Path) -> float:
    """From the first processed row to the last, as the pipeline stamped them."""
    with sqlite3.connect(database, timeout=30) as connection:
        first, last = connection.execute(
            "SELECT min(processed_at), max(processed_at) FROM intake").fetchone()
    span = datetime.fromisoformat(last) - datetime.fromisoformat(first)
    return max(span.total_seconds(), 1e-3)


def count(database: Path, table: str) -> int:
    with sqlite3.connect(database, timeout=30) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternate bare/incidentd runs this many times")
    parser.add_argument("--alerts", type=int, default=20000, help="pipeline storm size")
    parser.add_argument("--per-request", type=int, default=10, help="alerts per notification")
    args = parser.parse_args()
    warm_up_load_generator()
    python = sys.executable
    body = FIXTURE.read_bytes()
    runs: dict[str, list[Run]] = {k: [] for k in ("bare_http", "bare_smtp", "http", "smtp")}
    with tempfile.TemporaryDirectory(prefix="incidentd-bench-") as tmp:
        directory = Path(tmp)
        http, smtp = free_port(), free_port()
        config = write_config(directory, http, smtp, pipeline=False,
                              connections=max(1000, 2 * args.concurrency))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([python, "-m", "daemon", "db", "upgrade", "--config", str(config)],
                       check=True, capture_output=True, cwd=ROOT, env=env)
        serve = [python, "-m", "daemon", "serve", "--config", str(config), "--log-level",
                 "WARNING"]
        for _ in range(args.rounds):  # alternate, so that drift in machine load hits both
            bare = start([python, str(ROOT / "bench/bare_servers.py"), "http", str(http)], http)
            runs["bare_http"].append(measure(bare.pid, webhook_rate(
                http, body, args.concurrency, args.seconds), args.seconds))
            stop(bare)
            bare = start([python, str(ROOT / "bench/bare_servers.py"), "smtp", str(smtp)], smtp)
            runs["bare_smtp"].append(measure(bare.pid, smtp_rate(
                smtp, args.concurrency, args.seconds), args.seconds))
            stop(bare)
            daemon = start(serve, http)
            wait_port(smtp)
            runs["http"].append(measure(daemon.pid, webhook_rate(
                http, body, args.concurrency, args.seconds), args.seconds))
            runs["smtp"].append(measure(daemon.pid, smtp_rate(
                smtp, args.concurrency, args.seconds), args.seconds))
            stop(daemon)
        database = directory / "data" / "incidentd.db"
        stored = count(database, "intake")

        # Pipeline: a fresh database holding a storm of distinct alerts, then a daemon
        # that only has to process it.
        for suffix in ("", "-wal", "-shm"):
            (directory / "data" / f"incidentd.db{suffix}").unlink(missing_ok=True)
        subprocess.run([python, "-m", "daemon", "db", "upgrade", "--config", str(config)],
                       check=True, capture_output=True, cwd=ROOT, env=env)
        daemon = start(serve, http)
        asyncio.run(post_all(http, storm_payloads(args.alerts, args.per_request, 20), 20))
        stop(daemon)
        write_config(directory, http, smtp, pipeline=True,
                     connections=max(1000, 2 * args.concurrency))
        daemon = start(serve, http)
        while backlog(database):
            time.sleep(0.05)
        alerts_per_s = count(database, "report") / processing_seconds(database)
        rss = peak_rss_mb(daemon.pid)
        incidents = count(database, "incident")
        stop(daemon)

    def best(key: str) -> Run:
        return max(runs[key], key=lambda r: r.rate)

    print(f"concurrency {args.concurrency}, {args.rounds} x {args.seconds:g} s per server, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for name, bare_key, our_key, target in (("webhooks/s", "bare_http", "http", 0.75),
                                            ("emails/s", "bare_smtp", "smtp", 0.60)):
        bare_run, our_run = best(bare_key), best(our_key)
        errors = sum(r.errors for r in runs[our_key])
        print(f"{name:<11} bare {bare_run.rate:7.0f} ({bare_run.cpu_ms:.2f} ms CPU each)   "
              f"incidentd {our_run.rate:7.0f} ({our_run.cpu_ms:.2f} ms CPU each)   "
              f"rate ratio {our_run.rate / bare_run.rate:.2f}, CPU ratio "
              f"{bare_run.cpu_ms / our_run.cpu_ms:.2f} (target >= {target:.2f})"
              f"{f'   errors {errors}' if errors else ''}")
        # Every round, so that a fast moment of the machine (or of the load
        # generator, which bounds the bare servers) shows as what it is.
        print(f"{'':<11} rounds: bare {', '.join(f'{r.rate:.0f}' for r in runs[bare_key])}; "
              f"incidentd {', '.join(f'{r.rate:.0f}' for r in runs[our_key])}")
    print(f"stored intake rows during the runs: {stored}")
    print(f"pipeline    {alerts_per_s:8.0f} alerts/s ({args.alerts} alerts in "
          f"{args.alerts // args.per_request} notifications -> {incidents} incidents; "
          f"target >= 2000)")
    print(f"peak RSS    {rss:8.1f} MB (target < 150)")


if __name__ == "__main__":
    main()
