"""Splunk alert action "Webhook" bodies.

Splunk posts `{sid, search_name, app, owner, results_link, result}` where
`result` is the first result row (all values strings). Splunk alerts fire and
never resolve; the dedup key is `<app>/<search_name>`, so repeated triggers of
one saved search update one alert while it is open (each run's `sid` is kept in
the details).
"""

from __future__ import annotations

from typing import Final

from parsers._common import (
    as_object,
    first_text,
    load_object,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import ParseError, RawInput, Report

NAME: Final = "splunk"

# Result fields that describe the row itself rather than the problem.
_INTERNAL_PREFIXES: Final = ("_", "date_", "timestartpos", "timeendpos", "punct", "linecount")


def can_parse(raw: RawInput) -> bool:
    """Splunk bodies carry `search_name`, `sid` and `results_link`."""
    body = raw.body
    return b'"search_name"' in body and b'"sid"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Splunk alert")
    search = text(body.get("search_name"))
    if search is None:
        raise ParseError("no 'search_name' in the Splunk alert")
    result = as_object(body.get("result"))
    app = text(body.get("app"))
    fields = {str(k): v for k, item in result.items()
              if not str(k).startswith(_INTERNAL_PREFIXES) and (v := text(item)) is not None}
    severity_word = first_text(result.get("severity"), result.get("urgency"),
                               result.get("priority"))
    details = {key: value for key, value in (
        ("sid", text(body.get("sid"))), ("owner", text(body.get("owner"))), ("app", app),
    ) if value}
    return [Report(
        source=NAME,
        title=one_line(f"Splunk alert: {search}") or search,
        description=first_text(result.get("_raw"), result.get("message")) or "",
        severity=map_severity(severity_word, raw.options),
        raw_severity=severity_word,
        occurred_at=parse_time(result.get("_time")) or raw.received_at,
        dedup_key=f"{app}/{search}" if app else search,
        service=text(result.get("sourcetype")),
        resource=first_text(result.get("host"), result.get("splunk_server")),
        event=search,
        url=text(body.get("results_link")),
        labels=fields,
        details=details,
    )]
