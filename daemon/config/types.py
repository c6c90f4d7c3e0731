"""Value types used across the configuration: durations, listen addresses, addresses."""

from __future__ import annotations

import re
import ssl
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, PlainSerializer

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
# Far beyond any timeout or window, and far from where date arithmetic overflows.
_LONGEST_DURATION = 100 * 366 * 86400

STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def parse_duration(value: Any) -> timedelta:
    """Accept `90`, `"90s"`, `"30m"`, `"4h"`, `"1d"`, `"2w"` (bare numbers are seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text like '30m'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration; write e.g. 90s, 30m, 4h or 1d")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if not seconds <= _LONGEST_DURATION:  # also NaN and infinity
        raise ValueError(f"{value!r} is too long a duration; the longest is 100 years")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact `30m`-style spelling of `value`."""
    seconds = value.total_seconds()
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]


def parse_hostport(value: Any) -> str:
    """Validate `host:port` (IPv6 as `[::1]:8080`); return it normalised."""
    if not isinstance(value, str) or ":" not in value:
        raise ValueError(f"{value!r} is not HOST:PORT")
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if not host:
        raise ValueError(f"{value!r} has no host; use 0.0.0.0 or :: to listen everywhere")
    if not port.isdecimal() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} has no valid port (0-65535)")
    return f"[{host}]:{int(port)}" if ":" in host else f"{host}:{int(port)}"


HostPort = Annotated[str, BeforeValidator(parse_hostport)]


def split_hostport(value: str) -> tuple[str, int]:
    """Split a validated `HostPort` into host and port."""
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def parse_address(value: Any) -> str:
    """A bare mail address, lower-cased (`local@domain`)."""
    if not isinstance(value, str):
        raise ValueError("an address must be text")
    address = value.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address or "<" in address:
        raise ValueError(f"{value!r} is not a bare mail address like ops@example.org")
    return address


Address = Annotated[str, BeforeValidator(parse_address)]


def parse_size(value: Any) -> int:
    """Byte sizes: `1048576`, `"512k"`, `"10M"`, `"1G"` (binary multiples)."""
    if isinstance(value, bool):
        raise ValueError("a size is a number of bytes or text like '10M'")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (match := re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)i?[bB]?\s*",
                                                            value)):
        size = int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[
            match.group(2).lower()]
    else:
        raise ValueError(f"{value!r} is not a size; write e.g. 1048576, 512k or 10M")
    if size <= 0:
        raise ValueError("a size must be positive")
    return size


Size = Annotated[int, BeforeValidator(parse_size)]


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context for `cert` and `key`, with the standard library's defaults."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def tls_pair_problem(cert: Path | None, key: Path | None) -> str | None:
    """What is wrong with a `tls_cert`/`tls_key` pair, loaded as a server would; None if fine.

    Checked when the configuration is read, so that check-config finds a wrong
    path or a key that does not fit the certificate.
    """
    if (cert is None) != (key is None):
        return "tls_cert and tls_key go together"
    if cert is None or key is None:
        return None
    try:
        server_tls_context(cert, key)
    except (OSError, ssl.SSLError) as exc:
        return f"tls_cert/tls_key: cannot load {cert} with {key}: {exc}"
    return None


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h|d|w)\s*$")


def parse_rate(value: Any) -> tuple[int, timedelta]:
    """`"100/1m"`, `"5/s"`, `"600/1h"`: at most that many requests per period."""
    if isinstance(value, tuple) and len(value) == 2:
        return value
    match = _RATE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a rate; write e.g. 100/1m, 5/s or 600/1h")
    count = int(match.group(1))
    seconds = float(match.group(2) or 1) * _UNITS[match.group(3)]
    if not seconds <= _LONGEST_DURATION:  # also infinity, from 300 digits
        raise ValueError(f"{value!r}: the period is too long; the longest is 100 years")
    period = timedelta(seconds=seconds)
    if count < 1 or period.total_seconds() <= 0:
        raise ValueError(f"{value!r}: a rate needs at least 1 request per positive period")
    return count, period


def format_rate(value: tuple[int, timedelta]) -> str:
    """`(100, 60s)` → `"100/1m"`."""
    return f"{value[0]}/{format_duration(value[1])}"


# (requests, period): a token bucket holding `requests` that refills over `period`.
Rate = Annotated[
    tuple[int, timedelta], BeforeValidator(parse_rate),
    PlainSerializer(format_rate, return_type=str),
]


def read_toml(path: Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """The TOML file at `path`; a missing or broken file raises `error` naming it."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
