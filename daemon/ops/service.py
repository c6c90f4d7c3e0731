"""The daemon as a service: runner, signals, pid file and systemd notifications.

`incidentd serve` runs the application here rather than with `web.run_app`
so that the order is explicit and tested: every cleanup context has started
(database checked, writer, pipeline, scheduler, SMTP listening), then the HTTP
site listens, then the pid file is written and systemd hears `READY=1`.

Signals: SIGTERM/SIGINT drain and exit 0 (`STOPPING=1` first); SIGHUP reloads
the configuration (`RELOADING=1` … `READY=1`). While running, `WATCHDOG=1` is
sent from the event loop at half the watchdog timeout, so a loop stuck for
longer gets the service restarted, and `STATUS=` says how much work is waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from daemon.keys import CLOCK, RUNTIME
from daemon.ops.activation import describe
from daemon.ops.heap import freeze_startup_heap
from daemon.ops.http_site import CappedSite, ConnectionLimits
from daemon.ops.http_tls import HttpTls
from daemon.ops.metrics import METRICS
from daemon.ops.sdnotify import SystemdNotifier, watchdog_interval
from daemon.ops.wiring import OPS, certificate_loaded, reload_app, store_stats

log = logging.getLogger(__name__)

PID_FILE = "incidentd.pid"


class Service:
    """Runs one application until SIGTERM; owns the process-wide concerns."""

    def __init__(
        self,
        app: web.Application,
        *,
        host: str,
        port: int,
        shutdown_timeout: float,
        idle_timeout: float = 75.0,
        pid_file: Path | None,
        access_log_class: type[AbstractAccessLogger] | None = None,
        notifier: SystemdNotifier | None = None,
        sock: socket.socket | None = None,
        freeze_heap: bool = False,
    ) -> None:
        self.app = app
        self.freeze_heap = freeze_heap  # the process is ours alone (not a test's)
        self.host, self.port = host, port
        self.sock = sock  # a listening socket from systemd, used instead of host and port
        self.pid_file = pid_file
        self.notifier = notifier or SystemdNotifier.from_environ()
        # aiohttp closes a connection idle for keepalive_timeout, counted from
        # its start or its last answer: that also ends one whose request never
        # arrives whole (headers sent a byte at a time hold a connection slot).
        kwargs: dict[str, Any] = {"handle_signals": False, "shutdown_timeout": shutdown_timeout,
                                  "keepalive_timeout": idle_timeout}
        if access_log_class is not None:
            kwargs["access_log_class"] = access_log_class
        self.runner = web.AppRunner(app, **kwargs)
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False
        self._reload_pending = False  # SIGHUP during start-up: reload once READY

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        """Start, serve until SIGTERM/SIGINT, drain, stop."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        try:
            await self._start()
            await self._stop.wait()
            log.info("stopping: draining in-flight work")
            self.app[OPS].stopping = True
            self.notifier.stopping()
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(signum)
            # systemd stops watching once STOPPING=1 is sent; the status and
            # watchdog tasks must not query a database being shut down.
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.runner.cleanup()
            self._remove_pid_file()
        log.info("stopped")

    async def _start(self) -> None:
        try:
            await self.runner.setup()
        except BaseException:
            # Contexts that did start (say the database) are cleaned up when a
            # later one (say the SMTP bind) fails; aiohttp leaves that to us.
            await self.app.cleanup()
            raise
        def limits() -> ConnectionLimits:  # the settings in force: a reload changes them
            server = self.app[RUNTIME].get_config().server
            return ConnectionLimits(server.max_http_connections,
                                    server.max_http_connections_per_client,
                                    server.trusted_proxies)

        config = self.app[RUNTIME].get_config
        tls = (HttpTls(config, lambda cert: certificate_loaded(self.app, "http", cert))
               if config().server.tls_cert is not None else None)
        site = CappedSite(self.runner, limits, host=self.host, port=self.port, sock=self.sock,
                          tls=tls)
        await site.start()
        scheme = "https" if tls is not None else "http"
        if self.sock is not None:
            log.info("%s listening on %s (socket from systemd)", scheme, describe(self.sock))
        else:
            log.info("%s listening on %s", scheme, site.name.removeprefix(f"{scheme}://"))
        self._write_pid_file()
        if self.freeze_heap:
            freeze_startup_heap()
        self.notifier.ready(await self.status_line("ready"))
        self._started = True
        if self._reload_pending:
            self._on_sighup()
        interval = watchdog_interval()
        if interval is not None:
            self._spawn(self._watchdog(interval), "watchdog")
        if self.notifier.enabled:
            self._spawn(self._status(), "sd-status")

    def _on_sighup(self) -> None:
        if not self._started:
            # A reload now would tell systemd READY=1 before the listeners are up.
            self._reload_pending = True
            return
        self._spawn(self.reload(), "reload")

    async def reload(self) -> None:
        """SIGHUP: reload the configuration and tell systemd how it went."""
        self.notifier.reloading()
        result = await reload_app(self.app)
        self.notifier.ready(await self.status_line(result.describe()[:200]))

    async def status_line(self, prefix: str) -> str:
        """`prefix`, then how much work is waiting (or why that is unknown)."""
        try:
            stats = await store_stats(self.app)
        except Exception as exc:  # noqa: BLE001 - a status line must not fail the daemon
            return f"{prefix}; database unavailable: {type(exc).__name__}"
        self.app[METRICS].update_store(stats, self.app[CLOCK].now())
        return f"{prefix}; {stats.summary()}"

    async def _watchdog(self, interval: float) -> None:
        # Sent from the event loop itself: if the loop hangs, the pings stop.
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    async def _status(self) -> None:
        while True:
            seconds = self.app[RUNTIME].config.health.status_interval.total_seconds()
            await asyncio.sleep(seconds)
            self.notifier.status(await self.status_line("running"))

    def _write_pid_file(self) -> None:
        if self.pid_file is None:
            return
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.pid_file.with_name(f".{self.pid_file.name}.{os.getpid()}")
        temporary.write_text(f"{os.getpid()}\n", encoding="ascii")
        temporary.replace(self.pid_file)

    def _remove_pid_file(self) -> None:
        if self.pid_file is None:
            return
        with contextlib.suppress(OSError):
            # Another instance on the same data directory may have replaced it.
            if self.pid_file.read_text(encoding="ascii").strip() == str(os.getpid()):
                self.pid_file.unlink()


def read_pid_file(data_dir: Path) -> int | None:
    """The pid a running daemon wrote under `data_dir`, or None."""
    try:
        text = (data_dir / PID_FILE).read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return int(text) if text.isdecimal() else None
