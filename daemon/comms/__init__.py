"""Comms: what stakeholders are told and when; rendering; the outbox."""

from daemon.comms.plan import MessageKind, dispatch, send_due_updates
from daemon.comms.render import Renderer

__all__ = ["MessageKind", "Renderer", "dispatch", "send_due_updates"]
