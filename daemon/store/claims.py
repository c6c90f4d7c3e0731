"""Claims that daemons sharing a database race for: the first insert of a key wins.

`SignatureClaim`: a request signed with a timestamp may be stored once within
its replay window. Each daemon remembers the signatures it saw
(`ReplayCache`), but that memory is its own and ends with the process; this
table makes the rule hold across restarts and across daemons. A claim is
inserted in the transaction that stores the report, so a report that could
not be stored leaves no claim behind, and its sender's retry passes.

`DigestRun`: the daily digest of a list is sent by whichever daemon inserts
its row first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from daemon.store.base import Base, Id


class SignatureClaim(Base):
    """One stored signed request: its integration and HMAC, until its window closes."""

    __tablename__ = "signature_claim"
    __table_args__ = (Index("ix_signature_claim_expires", "expires_at"),)

    integration: Mapped[str] = mapped_column(String(128), primary_key=True)
    digest: Mapped[str] = mapped_column(String(128), primary_key=True)  # the HMAC, hex
    expires_at: Mapped[datetime]


class DigestRun(Base):
    """The daily digest of one list on one day: the unique key is the claim.

    Several daemons fire the same cron job; the first to insert the row sends
    the digest, the others hit the unique constraint and send nothing.
    """

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("list_name", "day", name="uq_digest_run_list_day"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(128))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the digest's time zone
    instance: Mapped[str] = mapped_column(String(255))
    incidents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
