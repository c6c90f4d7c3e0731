"""Evaluating matchers: does a report, with where it came from and when, fit a matcher set.

Pure: everything is passed in. Label regexes are anchored (the whole value
must match, as in Alertmanager); `title`, `body` and `keywords` search.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from daemon.triage.schema import Matcher
from daemon.triage.windows import TimeWindow
from parsers import Report


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportContext:
    """Where a report came from, for the matchers that need more than the report."""

    channel: str  # email | webhook | api
    integration: str | None = None
    sender: str | None = None
    lists: tuple[str, ...] = ()  # the integration's stakeholder lists


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The names matchers may refer to: time windows and named matcher sets."""

    time_windows: Mapping[str, TimeWindow] = field(default_factory=dict)
    matchers: Mapping[str, Matcher] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Subject:
    """What the matchers look at: one report, its context, the time it arrived."""

    report: Report
    context: ReportContext
    now: datetime

    @property
    def text(self) -> str:
        """Title and body, for keywords."""
        return f"{self.report.title}\n{self.report.description}"


def matches(matcher: Matcher, subject: Subject, vocabulary: Vocabulary) -> bool:
    """True when every matcher given in `matcher` holds for `subject`."""
    report, context = subject.report, subject.context
    checks = (
        not matcher.source or context.channel in matcher.source,
        not matcher.integration or context.integration in matcher.integration,
        not matcher.severity or report.severity in matcher.severity,
        not matcher.service or (report.service or "").lower() in
        {s.lower() for s in matcher.service},
    )
    if not all(checks):
        return False
    labels = report.labels
    if any(labels.get(k) != v for k, v in matcher.labels.items()):
        return False
    if any(labels.get(k) == v for k, v in matcher.labels_not.items()):
        return False
    if any(not labels.get(k) for k in matcher.labels_exist):
        return False
    if any(k not in labels or not p.fullmatch(labels[k])
           for k, p in matcher.labels_regex.items()):
        return False
    if matcher.title is not None and not matcher.title.search(report.title):
        return False
    if matcher.body is not None and not matcher.body.search(report.description):
        return False
    keywords = matcher.keyword_regex
    if keywords is not None and not keywords.search(subject.text):
        return False
    if matcher.sender and not sender_matches(context.sender, matcher.sender):
        return False
    if matcher.during and not any(
            vocabulary.time_windows[name].contains(subject.now) for name in matcher.during
            if name in vocabulary.time_windows):
        return False
    return _combinations(matcher, subject, vocabulary)


def _combinations(matcher: Matcher, subject: Subject, vocabulary: Vocabulary) -> bool:
    for name in matcher.use:
        named = vocabulary.matchers.get(name)
        if named is None or not matches(named, subject, vocabulary):
            return False
    if matcher.all_ and not all(matches(m, subject, vocabulary) for m in matcher.all_):
        return False
    if matcher.any_ and not any(matches(m, subject, vocabulary) for m in matcher.any_):
        return False
    return matcher.not_ is None or not matches(matcher.not_, subject, vocabulary)


def sender_matches(sender: str | None, patterns: list[str]) -> bool:
    """`sender` is one of the addresses, or in one of the `@domain`s."""
    if not sender:
        return False
    sender = sender.lower()
    return any(sender == p or (p.startswith("@") and sender.endswith(p)) for p in patterns)
