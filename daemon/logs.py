"""Logging: one line per event, readable in a terminal and in journald, never a secret.

Messages follow one convention: a few words naming the event, then its data as
`key=value` (`"webhook accepted intake=%d integration=%s"`). The formatter
quotes values that contain spaces, appends the `intake=` / `incident=` of the
work in progress (`log_context`), and keeps tracebacks on the same line, so a
line is always a whole event. `[logging] format = "json"` writes the same as
JSON lines, with the `key=%s` arguments as typed fields.

Under systemd (`$JOURNAL_STREAM` names our stderr) lines carry no timestamp and
start with a `<N>` syslog priority, which journald turns into the entry's
priority.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

_NO_CONTEXT: Mapping[str, Any] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, Any]] = ContextVar("incidentd_log_context", default=_NO_CONTEXT)

# Fields appended to every line of the work they concern, in this order.
CONTEXT_KEYS = ("intake", "incident")

_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([a-zA-Z%])")
_KEY_BEFORE = re.compile(r"(\w+)=$")
_SYSLOG_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                    logging.CRITICAL: 2}
# Secrets that may reach a message through a URL, a header or an exception text.
_SECRET_PATTERNS = (
    re.compile(r"(?i)([?&](?:token|access_token|api_key|password|secret)=)[^&\s\"']+"),
    re.compile(r"(?i)(\bbearer\s+)[^\s\"']+"),
    re.compile(r"(?i)(\b(?:token|password|passwd|secret)=)(?:\"[^\"]*\"|[^\s,;&]+)"),
    re.compile(r"(?i)(://[^/:@\s]+:)[^@/\s]+(?=@)"),  # user:password@host in URLs
)
# Each pattern above needs one of these (in ASCII text, any case) to match:
# checking for them first spares most lines the four scans.
_SECRET_HINTS = ("token=", "api_key=", "password=", "passwd=", "secret=", "bearer", "://")
REDACTED = "***"
# Refused connections and bogus SMTP commands come in floods: a line per stretch.
REFUSALS_LOGGED_EVERY = 10.0


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `intake=` / `incident=` (or other fields) to every line logged inside."""
    token = _CONTEXT.set({**_CONTEXT.get(), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def quote(value: Any) -> str:
    """A value as it appears after `key=`: bare when it can be, else double-quoted."""
    text = str(value)
    if text and not any(c.isspace() or c in "\"=\\" for c in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


class Redactor:
    """Replaces configured secrets and secret-looking parameters with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Short values would blank ordinary words; real tokens are longer.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` without secrets."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if text.isascii():  # beyond ASCII, case-insensitive matching is not just lower()
            lowered = text.lower()
            if not any(hint in lowered for hint in _SECRET_HINTS):
                return text
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text


@dataclass(frozen=True, slots=True)
class _Template:
    """A message format as `_render` uses it, worked out once per distinct message."""

    format: str  # the message with `key=%s` placeholders turned into plain `%s`
    placeholders: int
    keyed: tuple[tuple[int, str, str], ...]  # (argument index, key, conversion letter)


@functools.lru_cache(maxsize=1024)
def _template(msg: str) -> _Template:
    pieces: list[str] = []
    keyed: list[tuple[int, str, str]] = []
    done = 0
    position = 0
    for match in _PLACEHOLDER.finditer(msg):
        kind = match.group(1)
        if kind == "%":
            continue  # a literal percent sign stays as it is written
        key = _KEY_BEFORE.search(msg, 0, match.start())
        conversion = match.group(0)
        if key is not None:
            keyed.append((position, key.group(1), kind))
            if kind in "sr":
                conversion = "%s"  # the value is quoted text by then
        pieces += [msg[done:match.start()], conversion]
        done = match.end()
        position += 1
    pieces.append(msg[done:])
    return _Template("".join(pieces), position, tuple(keyed))


def _render(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    """The message with `key=%s` values quoted, and those values by key."""
    fields: dict[str, Any] = {}
    if not isinstance(record.msg, str) or not isinstance(record.args, tuple) or not record.args:
        return record.getMessage(), fields
    template = _template(record.msg)
    if template.placeholders != len(record.args):
        return record.getMessage(), {}  # a wrong call: logging reports it as usual
    args = list(record.args)
    for index, key, kind in template.keyed:
        value = args[index]
        fields[key] = value
        if kind == "s":
            args[index] = quote(value)
        elif kind == "r":
            args[index] = quote(repr(value))
    try:
        return template.format % tuple(args), fields
    except (TypeError, ValueError):
        return record.getMessage(), {}


class EventFormatter(logging.Formatter):
    """One line per event: text with key=value fields, or a JSON object."""

    def __init__(self, *, style: Literal["text", "json"] = "text", journald: bool = False,
                 redact: Redactor | None = None) -> None:
        super().__init__()
        self.style = style
        self.journald = journald
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        """See `logging.Formatter`."""
        message, fields = _render(record)
        context = {k: v for k, v in _CONTEXT.get().items() if k not in fields}
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)  # log.info(..., extra={"incident": "INC-1"})
            if value is not None and key not in fields:
                context[key] = value
        error = self.formatException(record.exc_info) if record.exc_info else None
        if self.style == "json":
            line = self._json(record, message, {**fields, **context}, error)
        else:
            line = self._text(record, message, context, error)
        line = self.redact(line)
        if self.journald:
            return f"<{_SYSLOG_PRIORITY.get(record.levelno, 6)}>{line}"
        return line

    def _text(self, record: logging.LogRecord, message: str, context: Mapping[str, Any],
              error: str | None) -> str:
        parts = [] if self.journald else [_timestamp(record)]
        parts += [record.levelname, f"{record.name}:", message.replace("\n", "\\n")]
        parts += [f"{k}={quote(v)}" for k, v in context.items() if f"{k}=" not in message]
        if error:
            parts.append(f"error={quote(error)}")
        return " ".join(parts)

    def _json(self, record: logging.LogRecord, message: str, fields: Mapping[str, Any],
              error: str | None) -> str:
        data: dict[str, Any] = {} if self.journald else {"ts": _timestamp(record)}
        data.update(level=record.levelname.lower(), logger=record.name, msg=message)
        for key, value in fields.items():
            data.setdefault(key, value if isinstance(value, int | float | bool | None)
                            else str(value))
        if error:
            data["error"] = error
        return json.dumps(data, ensure_ascii=False)


def _timestamp(record: logging.LogRecord) -> str:
    when = datetime.fromtimestamp(record.created, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def under_journald(stream: Any = None) -> bool:
    """True when `stream` (stderr) is connected to the journal, as `$JOURNAL_STREAM` says."""
    value = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not device.isdecimal() or not inode.isdecimal():
        return False
    try:
        info = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (int(device), int(inode))


def setup_logging(level: str = "INFO", style: Literal["text", "json"] = "text",
                  secrets: Iterable[str] = ()) -> None:
    """Log to stderr, one line per event; callable again to change level, style or secrets."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EventFormatter(style=style, journald=under_journald(sys.stderr),
                                        redact=Redactor(secrets)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiosmtpd's "mail.log" logs every SMTP command at INFO (addresses and, at DEBUG,
    # message lines), so it never goes below WARNING.
    for noisy in ("apscheduler", "aiosqlite", "asyncio", "alembic.runtime.migration", "mail.log"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    throttle_smtp_warnings()


def throttle_smtp_warnings(logger: logging.Logger | None = None) -> Throttle:
    """Hold back repeats of aiosmtpd's warnings (a line per bogus command or PROXY header)."""
    logger = logger or logging.getLogger("mail.log")
    for existing in logger.filters:
        if isinstance(existing, Throttle):
            return existing
    throttle = Throttle()
    logger.addFilter(throttle)
    return throttle


class _Stretch:
    """When a line of a flood may go out: the first at once, then one per 10 s."""

    def __init__(self) -> None:
        self._last: float | None = None
        self._held = 0

    def let_through(self, now: float) -> int | None:
        """None to hold this one back; else how many were held back before it."""
        if self._last is not None and now - self._last < REFUSALS_LOGGED_EVERY:
            self._held += 1
            return None
        held, self._last, self._held = self._held, now, 0
        return held


class Throttle(logging.Filter):
    """Lets each kind of message (its format string) through at most once per 10 s.

    The line that follows a quiet stretch says how many were held back
    (`suppressed=N`), so a flood costs a line per stretch and still shows.
    """

    def __init__(self, kinds: Iterable[str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._kinds = None if kinds is None else frozenset(kinds)  # None: every kind
        self._clock = clock
        self._stretches: dict[str, _Stretch] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a message like one let through less than 10 s ago."""
        kind = str(record.msg)
        if self._kinds is not None and kind not in self._kinds:
            return True
        held = self._stretches.setdefault(kind, _Stretch()).let_through(self._clock())
        if held is None:
            return False
        if held and isinstance(record.args, tuple):
            record.msg, record.args = f"{kind} suppressed=%d", (*record.args, held)
        return True


class RefusalLog:
    """Logs refusals: the first at once, then at most a line every 10 s.

    `what` is what was refused ("http connection"). Each line says how many
    were refused since the last one (`count`).
    """

    def __init__(self, logger: logging.Logger, what: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._log, self._what = logger, what
        self._clock = clock
        self._stretch = _Stretch()

    def refused(self, peer: str, reason: str) -> None:
        """Note one refusal; log it unless a line went out less than 10 s ago."""
        held = self._stretch.let_through(self._clock())
        if held is not None:  # this one and those held back since the last line
            self._log.warning("%s refused peer=%s reason=%s count=%d", self._what, peer,
                              reason, held + 1)
