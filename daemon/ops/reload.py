"""What a configuration reload changes, and what needs a restart instead.

Rules, templates, lists, mailbox addresses, cadence, integrations and API
tokens are read afresh by every request and every pipeline transaction, and
`[smtp]` by every new mailbox connection, so a new value simply takes
effect. What was used to build a resource at start-up (listeners and the
mailbox protocol, database, data directory, notifier backend, scheduler
intervals) keeps its old value until a restart; the reload says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from daemon.config import Config

# Dotted keys whose new value only a restart applies.
RESTART_KEYS = (
    "server.http",
    "server.smtp",
    "server.data_dir",
    "server.hostname",
    "server.max_body_size",
    "server.max_message_size",
    "server.max_recipients",
    "server.shutdown_timeout",
    "server.http_idle_timeout",
    "smtp.protocol",
    "database",
    "notify.backend",
    "notify.maildir",
    "notify.smtp",
    "pipeline.enabled",
    "scheduler",
    "retention.run_at",
)
_HTTPS_KEYS = ("server.tls_cert", "server.tls_key")
# Tables whose entries are reported one by one (`integrations.grafana`).
_KEYED_TABLES = ("integrations", "lists")


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """The answer of `Runtime.reload()`."""

    ok: bool
    changed: tuple[str, ...] = ()  # applied now
    restart_needed: tuple[str, ...] = ()  # changed in the file, applied at the next start
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON for the admin API."""
        return {"ok": self.ok, "changed": list(self.changed),
                "restart_needed": list(self.restart_needed), "error": self.error}

    def describe(self) -> str:
        """One line for the log and systemd's STATUS=."""
        if not self.ok:
            return f"reload failed, old configuration kept: {self.error}"
        applied = ", ".join(self.changed) or "nothing"
        text = f"configuration reloaded; changed: {applied}"
        if self.restart_needed:
            text += f"; needs a restart to apply: {', '.join(self.restart_needed)}"
        return text


def changed_keys(old: BaseModel, new: BaseModel, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ (secrets compared, never printed)."""
    changed = []
    for name in type(old).model_fields:
        path = f"{prefix}{name}"
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if not prefix and isinstance(before, BaseModel) and isinstance(after, BaseModel):
            changed += changed_keys(before, after, f"{path}.")
        elif path in _KEYED_TABLES and isinstance(before, dict) and isinstance(after, dict):
            changed += [f"{path}.{key}" for key in sorted(set(before) | set(after))
                        if before.get(key) != after.get(key)]
        else:
            changed.append(path)
    return changed


def needs_restart(key: str) -> bool:
    """True when `key` (or the table holding it) is applied only at start-up."""
    return any(key == k or key.startswith(f"{k}.") for k in RESTART_KEYS)


def effective(old: Config, new: Config, keys: list[str]) -> Config:
    """`new`, with the restart-only `keys` still at the values in force (`old`)."""
    result: BaseModel = new
    for key in keys:
        result = _replace(result, old, key.split("."))
    assert isinstance(result, Config)
    return result


def _replace(target: BaseModel, source: BaseModel, path: list[str]) -> BaseModel:
    head, rest = path[0], path[1:]
    if not rest:
        return target.model_copy(update={head: getattr(source, head)})
    inner_target, inner_source = getattr(target, head), getattr(source, head)
    return target.model_copy(update={head: _replace(inner_target, inner_source, rest)})


def plan_reload(old: Config, new: Config) -> tuple[Config, ReloadResult]:
    """The configuration to use and the result to report for a valid `new` file."""
    keys = changed_keys(old, new)
    # A new certificate for HTTPS applies at once; turning HTTPS on or off
    # changes the listener, which only a restart builds.
    toggled = (old.server.tls_cert is None) != (new.server.tls_cert is None)
    later = [k for k in keys if needs_restart(k) or (toggled and k in _HTTPS_KEYS)]
    now = [k for k in keys if k not in later]
    return effective(old, new, later), ReloadResult(ok=True, changed=tuple(now),
                                                    restart_needed=tuple(later))
