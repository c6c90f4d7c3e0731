"""When the TLS certificates in use expire: for /metrics, the log and doctor.

An expired certificate fails quietly from the daemon's side: monitoring
tools stop delivering webhooks, and mail servers fall back to plain text or
give up. So the end of validity of each certificate the daemon loads is
exported as a metric to alert on, and logged as a warning from two weeks
before it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

WARN_BEFORE = timedelta(days=14)


def not_after(cert: Path) -> datetime:
    """The end of validity (UTC) of the first certificate in a PEM file: the server's own."""
    from cryptography import x509  # only with TLS: a few MB the daemon needs not otherwise

    return x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc


def expiry_problem(end: datetime, now: datetime) -> str | None:
    """What is wrong with a certificate valid until `end`, if anything."""
    if end <= now:
        return f"expired at {end:%Y-%m-%d %H:%M} UTC"
    if end - now < WARN_BEFORE:
        return f"expires in {(end - now).days} day(s), at {end:%Y-%m-%d %H:%M} UTC"
    return None


def loaded(listener: str, cert: Path, now: datetime) -> datetime | None:
    """Note that `listener` now serves `cert`: log if it expires soon; return its end."""
    try:
        end = not_after(cert)
    except (OSError, ValueError) as exc:  # it loaded for TLS, so this is unusual
        log.warning("tls certificate for %s: cannot read its validity from %s: %s",
                    listener, cert, exc)
        return None
    problem = expiry_problem(end, now)
    if problem is not None:
        level = logging.ERROR if end <= now else logging.WARNING
        log.log(level, "tls certificate for %s %s: renew %s, then reload", listener, problem,
                cert)
    return end
