"""Running lifecycle changes as one unit of work that ends with comms.

Every interface changes incidents through `run_change`: the change and the
mail it causes (decided by `daemon.comms` from the events) commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from daemon.comms import Renderer, dispatch
from daemon.config import Config
from daemon.work import Work

T = TypeVar("T")


def run_change(session: Session, config: Config, renderer: Renderer, now: datetime,
               change: Callable[[Work], T]) -> T:
    """Run `change` in a new `Work` on `session`, then let comms queue its mail."""
    work = Work(session=session, config=config, now=now)
    result = change(work)
    work.session.flush()
    dispatch(work, renderer)
    return result
