"""`[triage] rules_file`: the `[[rules]]` tree in a file of its own.

The file is read whenever the configuration is (at start, by `check-config`
and by every reload), so editing it and reloading applies it; a broken file
fails the load with the file's own name and key path, and a reload then keeps
the rules in force. A relative path is relative to the configuration file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from daemon.config.types import STRICT, read_toml
from daemon.triage.schema import Rule


class RulesFileError(ValueError):
    """The rules file cannot be used; the message names the file and the key."""


class RulesFile(BaseModel):
    """The content of a rules file: `[[rules]]` tables, nothing else."""

    model_config = STRICT

    rules: list[Rule] = Field(default_factory=list)


def read_rules_file(path: Path) -> list[dict[str, Any]]:
    """The raw `[[rules]]` of `path`, validated on their own (errors name the file)."""
    data = read_toml(path, "rules file", RulesFileError)
    try:
        RulesFile.model_validate(data)
    except ValidationError as exc:
        from daemon.config import format_errors  # the configuration imports this module

        raise RulesFileError(format_errors(exc, path)) from None
    rules: list[dict[str, Any]] = data.get("rules", [])
    return rules


def include_rules_file(data: dict[str, Any], base: Path | None) -> None:
    """Put the rules of `[triage] rules_file` into `data` (the parsed configuration)."""
    triage = data.get("triage")
    if not isinstance(triage, dict) or not triage.get("rules_file"):
        return
    if triage.get("rules"):
        raise RulesFileError("triage: give the rules either as [[triage.rules]] or in "
                             "rules_file, not both")
    path = Path(triage["rules_file"])
    if not path.is_absolute() and base is not None:
        path = base / path
    triage["rules"] = read_rules_file(path)
    triage["rules_file"] = str(path)
