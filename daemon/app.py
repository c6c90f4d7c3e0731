"""The daemon as one aiohttp application; every resource is a cleanup context.

Start-up order: database (refuses an unmigrated schema), intake writer,
pipeline worker, scheduler, SMTP listener, monitoring. Shutdown runs in reverse
after aiohttp has stopped accepting HTTP and let in-flight requests finish: SMTP
stops accepting and waits for messages being stored, the scheduler stops, the
pipeline finishes its current transaction, the writer commits what is queued,
and the outbox gets one bounded delivery round (`daemon.ops.wiring`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP

from daemon import api
from daemon.clock import Clock, SystemClock
from daemon.config import EXAMPLE_TOKEN_PREFIX, Config, split_hostport
from daemon.forwarded import forwarded_middleware
from daemon.intake import routes as intake_routes
from daemon.intake.smtp import MailboxHandler
from daemon.intake.smtp_server import protocol_factory
from daemon.intake.writer import IntakeWriter
from daemon.keys import CLOCK, CONFIG, DATABASE, ENGINE, RUNTIME, SESSIONS, WRITER
from daemon.notify import build_notifier
from daemon.ops import wiring
from daemon.ops.activation import LISTENERS
from daemon.ops.instrument import (
    MeasuredNotifier,
    measured,
    metrics_middleware,
    pipeline_observer,
)
from daemon.ops.metrics import METRICS
from daemon.pipeline import PipelineWorker
from daemon.runtime import Runtime
from daemon.scheduler import Scheduler
from daemon.store.db import Database
from daemon.store.migrate import check_schema
from daemon.web import BODY_LIMIT, error_middleware, malformed_request_line

log = logging.getLogger(__name__)

PIPELINE = web.AppKey("pipeline", PipelineWorker)
SCHEDULER = web.AppKey("scheduler", Scheduler)
SMTP_SERVER = web.AppKey("smtp_server", asyncio.Server)


def build_app(
    config: Config, *, clock: Clock | None = None, config_hint: str = "",
    config_path: Path | None = None, overrides: dict[str, Any] | None = None,
) -> web.Application:
    """The whole daemon, ready for `daemon.ops.service` or a test client.

    `config_path` and `overrides` are what a reload reads again.
    """
    app = web.Application(
        client_max_size=config.server.max_body_size,
        middlewares=[forwarded_middleware, metrics_middleware, error_middleware],
    )
    runtime = Runtime(config, config_path=config_path, overrides=dict(overrides or {}),
                      from_file=config_path is not None or overrides is not None)
    app[RUNTIME] = runtime
    app[CONFIG] = config
    app[CLOCK] = clock or SystemClock()
    app[BODY_LIMIT] = config.server.max_body_size
    logging.getLogger("aiohttp.server").addFilter(malformed_request_line)  # added once
    intake_routes.add_routes(app)
    api.add_routes(app)
    wiring.install(app)
    app.cleanup_ctx.extend([
        partial(_database, hint=config_hint),
        wiring.outbox_flush,
        _intake_writer,
        _pipeline,
        _scheduler,
        _smtp,
        wiring.monitoring,
    ])
    return app


async def _database(app: web.Application, *, hint: str) -> AsyncIterator[None]:
    config = app[CONFIG]
    database = Database(config.database_url, echo=config.database.echo)
    try:
        await check_schema(database.engine, hint)
    except BaseException:
        await database.dispose()
        raise
    app[DATABASE] = database
    app[ENGINE] = database.engine
    app[SESSIONS] = database.sessions
    yield
    await database.dispose()


async def _intake_writer(app: web.Application) -> AsyncIterator[None]:
    # Its own connections: intake commits are acknowledgements and must reach the disk.
    writer = IntakeWriter(app[CONFIG].database_url, on_commit=lambda: _wake_pipeline(app))
    writer.start()
    app[WRITER] = writer
    yield
    await writer.close()


def _wake_pipeline(app: web.Application) -> None:
    pipeline = app.get(PIPELINE)
    if pipeline is not None:
        pipeline.wake()


def _kick_outbox(app: web.Application) -> None:
    scheduler = app.get(SCHEDULER)
    if scheduler is not None:
        scheduler.kick_outbox()


async def _pipeline(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    if not app[CONFIG].pipeline.enabled:
        log.info("pipeline disabled: this instance only stores intake")
        yield
        return
    worker = PipelineWorker(app[DATABASE], runtime.get_config, runtime.get_renderer, app[CLOCK],
                            on_queued=lambda: _kick_outbox(app),
                            on_processed=pipeline_observer(app[METRICS], app[CLOCK]))
    app[PIPELINE] = worker
    worker.start()
    yield
    await worker.stop()


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    notifier = MeasuredNotifier(build_notifier(app[CONFIG]), app[METRICS], app[CLOCK])
    app[wiring.OPS].notifier = notifier
    scheduler = Scheduler(app[SESSIONS], runtime.get_config, runtime.get_renderer,
                          notifier, app[CLOCK], runtime.instance)
    app[SCHEDULER] = scheduler
    scheduler.start()
    yield
    await scheduler.stop()


async def _smtp(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    inherited = app.get(LISTENERS, {}).get("smtp")  # from systemd's socket unit
    if config.server.smtp is None:
        if inherited is not None:
            log.warning("smtp is disabled ([server] smtp = \"\"); closing the socket "
                        "systemd passed for it")
            inherited.close()
        yield
        return
    runtime = app[RUNTIME]
    handler = MailboxHandler(app[WRITER], app[CLOCK], lambda: runtime.smtp_addresses,
                             config.server.max_recipients,
                             mailbox=lambda: runtime.get_config().mailbox,
                             trusted_proxies=lambda: runtime.get_config().server.trusted_proxies)
    sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
    # SMTP or LMTP, TLS, AUTH, timeouts ([smtp]); sessions and answers counted for /metrics
    make = protocol_factory(
        runtime.get_config, handler, wrap=lambda kind: measured(kind, app[METRICS]),
        on_certificate=lambda cert: wiring.certificate_loaded(app, "smtp", cert))

    def factory() -> SMTP:
        protocol = make()
        sessions.add(protocol)
        return protocol

    loop = asyncio.get_running_loop()
    if inherited is not None:
        server = await loop.create_server(factory, sock=inherited)
    else:
        host, port = split_hostport(config.server.smtp)
        server = await loop.create_server(factory, host=host, port=port)
    app[SMTP_SERVER] = server
    log.info("%s listening on %s%s", config.smtp.protocol, _bound(server),
             " (socket from systemd)" if inherited is not None else "")
    yield
    server.close()
    await handler.wait_idle(config.server.shutdown_timeout.total_seconds())
    for protocol in list(sessions):
        if protocol.transport is not None:
            protocol.transport.close()
    await server.wait_closed()


def _bound(server: asyncio.Server) -> str:
    return ", ".join(f"{s.getsockname()[0]}:{s.getsockname()[1]}" for s in server.sockets)


def warn_about_example_tokens(config: Config) -> None:
    """Example tokens are public; say so loudly when listening beyond loopback."""
    host, _ = split_hostport(config.server.http)
    if host in ("127.0.0.1", "::1", "localhost"):
        return
    names = [f"integrations.{n}" for n, i in config.integrations.items()
             if i.token and i.token.get_secret_value().startswith(EXAMPLE_TOKEN_PREFIX)]
    names += [f"api.tokens.{t.name}" for t in config.api.tokens
              if t.token.get_secret_value().startswith(EXAMPLE_TOKEN_PREFIX)]
    names += [f"integrations.{n}.{key}" for n, i in config.integrations.items()
              for key, secret in (("password", i.password), ("routing_key", i.routing_key),
                                  ("hmac.secret", i.hmac.secret if i.hmac else None))
              if secret and secret.get_secret_value().startswith(EXAMPLE_TOKEN_PREFIX)]
    for name in names:
        log.warning("%s uses an example token while HTTP listens on %s; anyone who has read "
                    "the example configuration can use it. Set your own token.",
                    name, config.server.http)
