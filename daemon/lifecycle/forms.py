"""Untrusted task and review input (JSON or text) turned into validated arguments.

Like `daemon.lifecycle.commands`, these refuse unknown fields and bad values
with a `FieldError` naming the field, before anything is changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from daemon.lifecycle.commands import parse_eta, parse_flag
from daemon.lifecycle.errors import FieldError
from daemon.lifecycle.review import Recommendation
from daemon.lifecycle.tasks import TASK_KINDS, TASK_STATES
from daemon.work import Work

TASK_FIELDS = ("title", "kind", "owner", "due_at", "state")
REVIEW_FIELDS = ("findings", "went_well", "went_badly", "recommendations", "completed")


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise FieldError(f"the body must be a JSON object with the {what} fields", field="body")
    return data


def _unknown(data: Mapping[str, Any], known: tuple[str, ...], prefix: str = "") -> None:
    for name in data:
        if name not in known:
            raise FieldError(f"unknown field {prefix}{name!r}; known: {', '.join(known)}",
                             field=f"{prefix}{name}")


def _str(data: Mapping[str, Any], name: str, *, field: str | None = None,
         optional: bool = True, limit: int = 20000) -> str | None:
    value = data.get(name)
    where = field or name
    if value is None:
        if optional:
            return None
        raise FieldError(f"{where} is required", field=where)
    if not isinstance(value, str):
        raise FieldError(f"{where} must be text", field=where)
    if len(value) > limit:
        raise FieldError(f"{where} is longer than {limit} characters", field=where)
    if not optional and not value.strip():
        raise FieldError(f"{where} must not be empty", field=where)
    return value.strip()


def _due(work: Work, value: Any, field: str) -> datetime | None:
    return parse_eta(work, field, value)


def parse_task(work: Work, data: Any, *, creating: bool) -> dict[str, Any]:
    """Keyword arguments for `add_task` (creating) or `update_task` (only those given)."""
    data = _object(data, "task")
    _unknown(data, TASK_FIELDS if not creating else TASK_FIELDS[:4])
    result: dict[str, Any] = {}
    if creating or "title" in data:
        result["title"] = _str(data, "title", optional=False, limit=500)
    if "kind" in data:
        if data["kind"] not in TASK_KINDS:
            raise FieldError(f"kind must be one of {', '.join(TASK_KINDS)}", field="kind")
        result["kind"] = data["kind"]
    if "owner" in data:
        result["owner"] = _str(data, "owner", limit=512) or None
    if "due_at" in data:
        result["due_at"] = _due(work, data["due_at"], "due_at")
    if "state" in data:
        if data["state"] not in TASK_STATES:
            raise FieldError(f"state must be one of {', '.join(TASK_STATES)}", field="state")
        result["state"] = data["state"]
    if not result:
        raise FieldError("nothing to change", field=None)
    return result


def _recommendation(work: Work, item: Any, where: str) -> Recommendation:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, Mapping):
        raise FieldError(f"{where} must be text or an object with text", field=where)
    known = ("text", "action_item", "owner", "due_at", "task_id")
    _unknown(item, known, prefix=f"{where}.")
    text = _str(item, "text", field=f"{where}.text", optional=False, limit=2000)
    assert text is not None
    owner = _str(item, "owner", field=f"{where}.owner", limit=512)
    due = _due(work, item["due_at"], f"{where}.due_at") if "due_at" in item else None
    action = (parse_flag(work, f"{where}.action_item", item["action_item"])
              if "action_item" in item else False)
    return Recommendation(text=text, action_item=action, owner=owner, due_at=due)


def parse_review(work: Work, data: Any) -> dict[str, Any]:
    """Keyword arguments for `update_review`."""
    data = _object(data, "review")
    _unknown(data, REVIEW_FIELDS)
    result: dict[str, Any] = {}
    for name in ("findings", "went_well", "went_badly"):
        if name in data:
            result[name] = _str(data, name) or ""
    if "recommendations" in data:
        items = data["recommendations"]
        if not isinstance(items, list):
            raise FieldError("recommendations must be a list", field="recommendations")
        result["recommendations"] = [_recommendation(work, item, f"recommendations.{i}")
                                     for i, item in enumerate(items)]
    if "completed" in data:
        result["completed"] = parse_flag(work, "completed", data["completed"])
    return result
