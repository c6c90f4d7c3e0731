"""Typed keys for what the aiohttp application holds (never module globals)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from daemon.clock import Clock
from daemon.config import Config
from daemon.intake.writer import IntakeWriter
from daemon.runtime import Runtime
from daemon.store.db import Database

CONFIG = web.AppKey("config", Config)  # as at start-up; app[RUNTIME].config follows reloads
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("sessions")
WRITER = web.AppKey("writer", IntakeWriter)
RUNTIME = web.AppKey("runtime", Runtime)
