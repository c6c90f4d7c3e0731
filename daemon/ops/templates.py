"""Render every mail template once against the sample incident, to catch mistakes early.

Used by `incidentd doctor` and by a reload (a broken override template must
not replace working ones). The context comes from `daemon.comms.sample`, the
same sample `incidentd templates render` previews, built by the real comms code.
"""

from __future__ import annotations

from datetime import UTC, datetime

from daemon.comms import MessageKind, Renderer
from daemon.comms.digest import DIGEST
from daemon.comms.render import RenderError
from daemon.comms.sample import sample_context
from daemon.config import Config


class TemplateProblem(Exception):
    """A template does not load or render; the message names it."""


def check_templates(renderer: Renderer, config: Config) -> list[str]:
    """Render each mail kind; return the kinds rendered, raise `TemplateProblem` on failure."""
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rendered = []
    for kind in [*(k.value for k in MessageKind), DIGEST]:
        try:
            renderer.render(kind, sample_context(config, kind, now))
        except RenderError as exc:
            raise TemplateProblem(str(exc)) from None
        rendered.append(kind)
    return rendered
