"""Signed webhook requests already stored: the replay claims every daemon shares.

A request signed with a timestamp may be stored once within its replay
window. Each daemon remembers the signatures it saw (`ReplayCache`), but that
memory is its own and ends with the process; this table makes the rule hold
across restarts and across daemons that share a database. A claim is
inserted in the transaction that stores the report, so a report that could
not be stored leaves no claim behind, and its sender's retry passes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from daemon.store.base import Base


class SignatureClaim(Base):
    """One stored signed request: its integration and HMAC, until its window closes."""

    __tablename__ = "signature_claim"
    __table_args__ = (Index("ix_signature_claim_expires", "expires_at"),)

    integration: Mapped[str] = mapped_column(String(128), primary_key=True)
    digest: Mapped[str] = mapped_column(String(128), primary_key=True)  # the HMAC, hex
    expires_at: Mapped[datetime]
