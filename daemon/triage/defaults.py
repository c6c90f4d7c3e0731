"""Built-in triage from the report's own words, for what no rule decided.

A fresh install has no rules; these defaults still tell a ransomware mail
from a printer jam. They only fill gaps: a rule's value wins, then what the
reporter or the tool said (SOP fields `Severity:`, `Impact:`, `Urgency:`, the
alert's mapped severity), then the keywords below, then the fallbacks
(`[triage] default_severity`; impact and urgency follow the severity).

The table is documented in the README (Triage rules, response plans and
maintenance); keep the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from daemon.triage.schema import keyword_pattern
from parsers import Level, Severity


@dataclass(frozen=True, slots=True)
class KeywordDefault:
    """Words, and what a report containing one of them gets unless something else said."""

    words: tuple[str, ...]
    category: str | None = None
    severity: Severity | None = None
    impact: Level | None = None
    urgency: Level | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        """The words as one pattern (whole words, any case)."""
        return _PATTERNS[self.words]


KEYWORDS: tuple[KeywordDefault, ...] = (
    KeywordDefault(("ransomware", "breach", "breached", "intrusion", "compromised",
                    "malware", "phishing", "hacked", "unauthorized access",
                    "unauthorised access"),
                   category="security breach", severity=Severity.HIGH, impact=Level.HIGH),
    KeywordDefault(("data loss", "lost data", "data lost", "deleted", "corrupted",
                    "corruption"),
                   category="data loss", severity=Severity.HIGH, impact=Level.HIGH),
    KeywordDefault(("outage", "down", "unavailable", "unreachable", "not working"),
                   category="service disruption", impact=Level.HIGH),
    KeywordDefault(("hardware", "disk failure", "power failure", "overheating", "fire",
                    "flood", "flooded", "flooding", "broken"),
                   category="equipment failure"),
    KeywordDefault(("urgent", "asap", "immediately", "emergency"), urgency=Level.HIGH),
)
_PATTERNS = {entry.words: keyword_pattern(list(entry.words)) for entry in KEYWORDS}

# Severity label values tools use, when the parser left the severity open.
LABEL_SEVERITY = {
    "critical": Severity.HIGH, "crit": Severity.HIGH, "emergency": Severity.HIGH,
    "high": Severity.HIGH, "p1": Severity.HIGH, "p2": Severity.HIGH, "error": Severity.HIGH,
    "major": Severity.HIGH, "warning": Severity.MEDIUM, "warn": Severity.MEDIUM,
    "medium": Severity.MEDIUM, "p3": Severity.MEDIUM, "minor": Severity.LOW,
    "low": Severity.LOW, "info": Severity.LOW, "p4": Severity.LOW, "p5": Severity.LOW,
}
SEVERITY_LABELS = ("severity", "priority", "level")

# Without other information, severity stands in for impact and urgency alike.
LEVEL_FOR_SEVERITY = {Severity.HIGH: Level.HIGH, Severity.MEDIUM: Level.MEDIUM,
                      Severity.LOW: Level.LOW}
MONITORING_CATEGORY = "service disruption"  # an alert with no telling word
FALLBACK_CATEGORY = "other"


@dataclass(frozen=True, slots=True)
class Guess:
    """What the report's words suggest, and which word suggested each value."""

    severity: tuple[Severity, str] | None = None
    impact: tuple[Level, str] | None = None
    urgency: tuple[Level, str] | None = None
    category: tuple[str, str] | None = None


def label_severity(labels: dict[str, str] | None) -> tuple[Severity, str] | None:
    """A severity from a `severity`/`priority`/`level` label the parser did not map."""
    for name in SEVERITY_LABELS:
        value = (labels or {}).get(name)
        if value and value.strip().lower() in LABEL_SEVERITY:
            return LABEL_SEVERITY[value.strip().lower()], f"label {name}={value}"
    return None


def guess(text: str, *, channel: str, categories: list[str]) -> Guess:
    """Keyword defaults for `text` (title and body); the first entry that fits wins per field."""
    found: dict[str, tuple[object, str]] = {}
    for entry in KEYWORDS:
        match = entry.pattern.search(text)
        if match is None:
            continue
        why = f"keyword {match.group(0).lower()!r}"
        for name in ("severity", "impact", "urgency", "category"):
            value = getattr(entry, name)
            if value is not None and name not in found and (
                    name != "category" or value in categories):
                found[name] = (value, why)
    if "category" not in found:
        fallback = MONITORING_CATEGORY if channel != "email" else FALLBACK_CATEGORY
        if fallback in categories:
            found["category"] = (fallback, "monitoring alert" if channel != "email"
                                 else "no telling word")
    return Guess(**found)  # type: ignore[arg-type]
