"""Render every mail template once against the sample incident, to catch mistakes early.

Used by `incidentd doctor` and by a reload (a broken override template must
not replace working ones). The context comes from `daemon.comms.sample`, the
same sample `incidentd templates render` previews, built by the real comms code;
plan and escalation mails get the team's sample values on top.
"""

from __future__ import annotations

from datetime import UTC, datetime

from daemon.comms import MessageKind, Renderer
from daemon.comms.digest import DIGEST
from daemon.comms.render import RenderError
from daemon.comms.sample import sample_context
from daemon.comms.team import KINDS as TEAM_KINDS
from daemon.comms.team import sample_context as team_sample
from daemon.config import Config


class TemplateProblem(Exception):
    """A template does not load or render; the message names it."""


def check_templates(renderer: Renderer, config: Config) -> list[str]:
    """Render each mail kind; return the kinds rendered, raise `TemplateProblem` on failure."""
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    contexts = {kind: sample_context(config, kind, now)
                for kind in (*(k.value for k in MessageKind), DIGEST)}
    for kind in TEAM_KINDS:
        contexts[kind] = {**sample_context(config, kind, now), **team_sample(config),
                          "kind": kind}
    answer = {"sender": "alice@example.org", "reply_subject": "Re: sample", "responder": True}
    contexts["ack"] = {**sample_context(config, "ack", now), **answer}
    contexts["confirmation"] = {
        **sample_context(config, "confirmation", now), **answer, "applied": 1, "total": 2,
        "results": [{"line": "status: contained", "applied": True, "message": ""},
                    {"line": "priority: 9", "applied": False, "message": "not 1-4"}]}
    for kind, context in contexts.items():
        try:
            renderer.render(kind, context)
        except RenderError as exc:
            raise TemplateProblem(str(exc)) from None
    return list(contexts)
