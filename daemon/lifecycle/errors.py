"""What the lifecycle refuses, said so that a person can fix it.

Every error names the field at fault; interfaces map them to their own
answers (HTTP status codes, CLI exit codes, reply mails).
"""

from __future__ import annotations

from collections.abc import Sequence


class LifecycleError(ValueError):
    """A change the lifecycle refuses; `field` names what is at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldError(LifecycleError):
    """A value that is not valid for its field (or a field that does not exist)."""


class NotFoundError(LifecycleError):
    """A referenced incident or task does not exist."""


class TransitionError(LifecycleError):
    """A status change the transition table does not allow; names the allowed ones."""

    def __init__(self, old: str, new: str, allowed: Sequence[str]) -> None:
        hint = f"allowed from {old}: {', '.join(allowed)}" if allowed else f"{old} is final"
        super().__init__(f"cannot change status from {old} to {new}; {hint}", field="status")
        self.old, self.new, self.allowed = old, new, list(allowed)


class GateError(LifecycleError):
    """An SOP gate is not met; `missing` names what must be done first."""

    def __init__(self, message: str, missing: Sequence[str], *, field: str = "status") -> None:
        super().__init__(message, field=field)
        self.missing = list(missing)
