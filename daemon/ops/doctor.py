"""`incidentd doctor`: check the installation and say what to fix.

Each check returns findings: `ok`, `warn` (works, but look at it) or `fail`
(incidentd will not work properly until fixed), each with the fix in words.
The checks only read: the one file written (to test the data directory) is
removed again, and the listen ports are bound only for an instant.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import smtplib
import socket
import ssl
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import psutil

from daemon.comms import Renderer
from daemon.config import EXAMPLE_TOKEN_PREFIX, Config, split_hostport
from daemon.ops.certificates import expiry_problem, not_after
from daemon.ops.disk import database_size, describe, free_space
from daemon.ops.service import read_pid_file
from daemon.ops.templates import TemplateProblem, check_templates
from daemon.store.db import create_engine
from daemon.store.migrate import SchemaError, check_schema

Level = Literal["ok", "warn", "fail"]
PROBE_TIMEOUT = 2.0  # a local port that takes longer to answer is not ours


@dataclass(frozen=True, slots=True)
class Finding:
    """One result: how bad, about what, and what to do."""

    level: Level
    topic: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.level.upper():<4} {self.topic}: {self.message}"
        return f"{text}\n     fix: {self.fix}" if self.fix else text


def check_data_dir(config: Config) -> list[Finding]:
    """The data directory exists (or can be made) and is writable."""
    data_dir = config.server.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / f".doctor-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return [Finding("fail", "data directory", f"{data_dir} is not writable: {exc.strerror}",
                        "create it and give the user incidentd runs as write access "
                        "(the systemd unit's StateDirectory= does this)")]
    findings = [Finding("ok", "data directory", f"{data_dir.resolve()} is writable")]
    if config.notify.backend == "maildir":
        maildir = config.maildir_path
        parent = maildir if maildir.exists() else maildir.parent
        if not _writable(parent):
            findings.append(Finding("fail", "maildir", f"{maildir} is not writable",
                                    "fix its permissions or set [notify] maildir"))
    return findings


def check_disk(config: Config) -> list[Finding]:
    """Free space where the daemon writes, against `[health] min_free_space`."""
    minimum = config.health.min_free_space
    findings = []
    for space in free_space(config):
        if space.free < minimum:
            findings.append(Finding(
                "warn", "disk space", f"only {describe(space.free)} free for {space.path} "
                f"(min_free_space {describe(minimum)}); once it is full, senders are told "
                "to retry (503/451) until space is freed",
                "free space, shorten [retention] intake, or move data_dir to a larger disk"))
        else:
            findings.append(Finding("ok", "disk space",
                                    f"{describe(space.free)} free for {space.path}"))
    database = database_size(config)
    if database is not None:
        findings.append(Finding("ok", "database size",
                                f"{database[0]} and its log: {describe(database[1])}"))
    return findings


def _writable(path: Path) -> bool:
    try:
        probe = path / f".doctor-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return False
    return True


async def check_database(config: Config, hint: str) -> list[Finding]:
    """The database answers and its schema is current."""
    engine = create_engine(config.database_url)
    try:
        await asyncio.wait_for(check_schema(engine, hint), PROBE_TIMEOUT * 2)
    except SchemaError as exc:
        return [Finding("fail", "database", str(exc).split("; run:")[0],
                        f"run: incidentd db upgrade{hint}")]
    except Exception as exc:  # noqa: BLE001 - whatever it is, the operator must see it
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [Finding("fail", "database", f"cannot connect: {first}",
                        "check [database] url, that the server runs and accepts this user")]
    finally:
        await engine.dispose()
    return [Finding("ok", "database", "reachable, schema current")]


def check_templates_render(config: Config) -> list[Finding]:
    """Every mail template renders against a sample incident."""
    try:
        kinds = check_templates(Renderer(config.templates.dir), config)
    except (TemplateProblem, OSError) as exc:
        where = config.templates.dir or "the shipped templates"
        return [Finding("fail", "templates", str(exc), f"fix the template in {where}")]
    return [Finding("ok", "templates", f"{', '.join(kinds)} render")]


def check_listeners(config: Config) -> list[Finding]:
    """Each listen address is free, or held by this incidentd."""
    findings = []
    listeners = [("http", config.server.http)]
    if config.server.smtp is not None:
        listeners.append(("smtp", config.server.smtp))
    for name, address in listeners:
        host, port = split_hostport(address)
        problem = _bind_problem(host, port)
        if problem is None:
            findings.append(Finding("ok", f"{name} listener", f"{address} is free"))
        elif problem == errno.EADDRINUSE:
            findings.append(_held(config, name, address, host, port))
        elif problem == errno.EACCES:
            findings.append(Finding("warn", f"{name} listener",
                                    f"{address}: this user may not bind port {port}",
                                    "the systemd unit grants CAP_NET_BIND_SERVICE; elsewhere "
                                    "use a port above 1023 or relay from Postfix"))
        else:
            findings.append(Finding("fail", f"{name} listener",
                                    f"cannot bind {address}: {os.strerror(problem)}",
                                    f"use an address of this host in [server] {name}"))
    return findings


def _held(config: Config, name: str, address: str, host: str, port: int) -> Finding:
    """Who holds a listen address that is in use; asked without starting anything.

    A connection to a port systemd holds for socket activation would start
    incidentd, so the port is only probed when what holds it is known not to
    be systemd alone.
    """
    holders = _listeners(port)
    pid = read_pid_file(config.server.data_dir)
    running = pid is not None and psutil.pid_exists(pid)
    visible = [holder for holder in holders if holder is not None]
    if visible and all(holder[1] == "systemd" for holder in visible):
        return Finding("ok", f"{name} listener", f"{address} is held by systemd for socket "
                       "activation: incidentd starts at the first connection")
    if holders and not visible and not running:
        return Finding("warn", f"{name} listener",
                       f"{address} is held by a process this user cannot see (systemd's "
                       "socket activation, or another user's program); not probed, as a "
                       "connection could start incidentd",
                       f"as root: ss -ltnp 'sport = :{port}'")
    if _is_incidentd(name, host, port, https=config.server.tls_cert is not None):
        return Finding("ok", f"{name} listener", f"{address} is held by a running incidentd"
                       f"{f' (pid {pid})' if running else ''}")
    program = f" ({visible[0][1]}, pid {visible[0][0]})" if visible else ""
    return Finding("fail", f"{name} listener",
                   f"{address} is in use by another program{program}",
                   f"stop it (see: ss -ltnp 'sport = :{port}') or change [server] {name}")


def _listeners(port: int) -> list[tuple[int, str] | None]:
    """The processes listening on TCP `port`.

    Each is (pid, name), or None when this user cannot see it. Empty when the
    system does not say; the port is then probed.
    """
    try:
        sockets = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return []
    holders: list[tuple[int, str] | None] = []
    for entry in sockets:
        if entry.status != psutil.CONN_LISTEN or not entry.laddr or entry.laddr.port != port:
            continue
        try:
            holders.append(None if entry.pid is None
                           else (entry.pid, psutil.Process(entry.pid).name()))
        except psutil.Error:  # gone meanwhile, or not ours to look at
            holders.append(None)
    return holders


def _bind_problem(host: str, port: int) -> int | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the daemon binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno or errno.EINVAL
    return None


def _is_incidentd(name: str, host: str, port: int, *, https: bool = False) -> bool:
    connect_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        if name == "smtp":
            with socket.create_connection((connect_host, port), timeout=PROBE_TIMEOUT) as sock:
                return b"incidentd" in sock.recv(512)
        netloc = f"[{connect_host}]:{port}" if ":" in connect_host else f"{connect_host}:{port}"
        # Our own port: whether it answers as incidentd is the question, not
        # whether its certificate names this address.
        context = ssl._create_unverified_context() if https else None  # noqa: S323
        with urllib.request.urlopen(f"{'https' if https else 'http'}://{netloc}/healthz",  # noqa: S310
                                    timeout=PROBE_TIMEOUT, context=context) as response:
            return bool(json.loads(response.read()).get("service") == "incidentd")
    except (OSError, ValueError):
        return False


def check_relay(config: Config) -> list[Finding]:
    """With `backend = "smtp"`, the relay answers (and accepts our login, if any)."""
    if config.notify.backend != "smtp":
        return []
    relay = config.notify.smtp
    where = f"{relay.host}:{relay.port}"
    timeout = min(relay.timeout.total_seconds(), PROBE_TIMEOUT * 2)
    try:
        client: smtplib.SMTP
        if relay.security == "tls":
            client = smtplib.SMTP_SSL(relay.host, relay.port, timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(relay.host, relay.port, timeout=timeout)
        with client:
            client.ehlo()
            if relay.security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if relay.username and relay.password is not None:
                client.login(relay.username, relay.password.get_secret_value())
    except (OSError, smtplib.SMTPException) as exc:
        return [Finding("fail", "smtp relay", f"{where}: {type(exc).__name__}: {exc}",
                        "check [notify.smtp] host, port, security and credentials, and that "
                        "the relay accepts connections from this host")]
    return [Finding("ok", "smtp relay", f"{where} answers")]


def check_configuration(config: Config) -> list[Finding]:
    """Things that validate but are probably mistakes."""
    findings = [Finding("ok", "configuration", f"valid; {len(config.integrations)} "
                        f"integration(s), {len(config.triage.rules)} rule(s)")]
    host, _ = split_hostport(config.server.http)
    if host not in ("127.0.0.1", "::1", "localhost"):
        examples = [f"integrations.{n}" for n, i in config.integrations.items()
                    if i.token and i.token.get_secret_value().startswith(EXAMPLE_TOKEN_PREFIX)]
        examples += [f"api.tokens.{t.name}" for t in config.api.tokens
                     if t.token.get_secret_value().startswith(EXAMPLE_TOKEN_PREFIX)]
        if examples:
            findings.append(Finding("fail", "tokens", f"example tokens while HTTP listens on "
                                    f"{config.server.http}: {', '.join(examples)}",
                                    "set your own tokens (e.g. openssl rand -hex 24)"))
    if not config.api.tokens:
        findings.append(Finding("warn", "api tokens", "no [[api.tokens]]: the API and "
                                "POST /api/v1/admin/reload cannot be used",
                                "add an admin token"))
    return findings


def check_certificates(config: Config, now: datetime | None = None) -> list[Finding]:
    """Each configured TLS certificate is valid for a while yet."""
    now = now or datetime.now(UTC)
    findings = []
    for listener, cert in (("http", config.server.tls_cert), ("smtp", config.smtp.tls_cert)):
        if cert is None:
            continue
        topic = f"{listener} certificate"
        try:
            end = not_after(cert)
        except (OSError, ValueError) as exc:
            findings.append(Finding("fail", topic, f"{cert}: cannot read it: {exc}",
                                    "point tls_cert at a PEM certificate chain"))
            continue
        problem = expiry_problem(end, now)
        if problem is None:
            findings.append(Finding("ok", topic, f"{cert} is valid until "
                                    f"{end:%Y-%m-%d} ({(end - now).days} days)"))
        else:
            findings.append(Finding("fail" if end <= now else "warn", topic,
                                    f"{cert} {problem}",
                                    "renew it, then: systemctl reload incidentd"))
    return findings


def run_checks(config: Config, hint: str = "") -> list[Finding]:
    """All checks, in the order an operator would fix things."""
    findings = check_configuration(config)
    findings += check_data_dir(config)
    findings += check_disk(config)
    findings += asyncio.run(check_database(config, hint))
    findings += check_listeners(config)
    findings += check_certificates(config)
    findings += check_templates_render(config)
    findings += check_relay(config)
    return findings
