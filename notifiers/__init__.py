"""Notifiers deliver already rendered messages; they decide nothing.

A notifier is any object with ``async deliver(message) -> None`` that raises
`TemporaryDeliveryError` (retry later) or `PermanentDeliveryError` (stop).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DeliveryError",
    "Notifier",
    "OutgoingMessage",
    "PermanentDeliveryError",
    "TemporaryDeliveryError",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    """A complete RFC 5322 message plus its envelope."""

    message_id: str
    envelope_from: str
    recipients: Sequence[str]
    raw: bytes


class DeliveryError(Exception):
    """Delivery did not happen."""


class TemporaryDeliveryError(DeliveryError):
    """Try again later (connection refused, 4xx, timeout, disk full)."""


class PermanentDeliveryError(DeliveryError):
    """Do not try again (5xx for every recipient, malformed message)."""


class Notifier(Protocol):
    """The delivery interface every channel implements."""

    async def deliver(self, message: OutgoingMessage) -> None:
        """Deliver `message` or raise a `DeliveryError`."""
