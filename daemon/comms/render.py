"""Render mail templates: jinja2, strict undefined, autoescape on HTML only.

Users override any template from their own directory; the shipped templates
are the fallback. The HTML part's stylesheet is inlined into `style`
attributes (many mail clients drop `<style>`), keeping the at-rules, so the
dark-mode `@media` block still reaches the clients that honour it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
import jinja2

from daemon.comms.style import DARK, LIGHT


def shipped_templates_dir() -> Path:
    """The templates that come with incidentd (source tree or installed share/)."""
    candidates = [
        Path(__file__).resolve().parents[2] / "templates",
        Path(sys.prefix) / "share" / "incidentd" / "templates",
    ]
    for candidate in candidates:
        if (candidate / "mail").is_dir():
            return candidate
    raise FileNotFoundError("shipped templates not found in " + ", ".join(map(str, candidates)))


class RenderError(RuntimeError):
    """A mail template does not load or render."""


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """Subject and both bodies of one mail."""

    subject: str
    text: str
    html: str


@jinja2.pass_context
def _when(context: jinja2.runtime.Context, value: datetime | None,
          fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """A time in the mail's time zone (the context's `timezone`, else UTC)."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(context.get("timezone") or "UTC")).strftime(fmt)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _prio(priority: int | None) -> str:
    return f"P{priority}" if priority else "P-"


class Renderer:
    """Renders `mail/<kind>.{subject,txt,html}.j2`."""

    def __init__(self, override_dir: Path | None = None) -> None:
        search = [str(override_dir)] if override_dir else []
        search.append(str(shipped_templates_dir()))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                                default_for_string=False, default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["when"] = _when
        self.env.filters["duration"] = _duration
        self.env.filters["prio"] = _prio
        self.env.globals["light"] = dict(LIGHT)
        self.env.globals["dark"] = dict(DARK)
        # never fetch a stylesheet a template links to: rendering does no I/O
        self._inliner = css_inline.CSSInliner(keep_at_rules=True,
                                              load_remote_stylesheets=False)

    def render(self, kind: str, context: Mapping[str, Any]) -> RenderedMail:
        """Render the three parts of mail `kind`; `RenderError` names what failed."""
        try:
            subject = self.env.get_template(f"mail/{kind}.subject.j2").render(context)
            return RenderedMail(
                subject=" ".join(subject.split()),
                text=self.env.get_template(f"mail/{kind}.txt.j2").render(context),
                html=self.inline(self.env.get_template(f"mail/{kind}.html.j2").render(context)),
            )
        except jinja2.TemplateError as exc:
            # TemplateNotFound is an OSError; it must not pass for a storage failure.
            where = f" ({exc.filename}:{exc.lineno})" \
                if isinstance(exc, jinja2.TemplateSyntaxError) else ""
            raise RenderError(f"mail template {kind!r}{where}: {type(exc).__name__}: {exc}") \
                from exc

    def inline(self, html: str) -> str:
        """`html` with its stylesheet moved into `style` attributes."""
        return self._inliner.inline(html)
