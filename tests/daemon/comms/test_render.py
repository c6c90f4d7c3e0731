"""Every mail template renders with a full and a minimal incident; HTML is safe and styled."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from daemon.comms import MessageKind, Renderer
from daemon.comms.digest import DIGEST
from daemon.comms.render import RenderError
from daemon.comms.sample import sample_context
from daemon.comms.style import DARK, LIGHT, PAIRS, contrast
from tests.support import make_config

NOW = datetime(2026, 3, 2, 11, 10, tzinfo=UTC)
KINDS = [kind.value for kind in MessageKind] + [DIGEST]


class Elements(HTMLParser):
    """Collects start tags with their attributes, and the text outside tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def parse(document: str) -> Elements:
    parser = Elements()
    parser.feed(document)
    return parser


@pytest.mark.parametrize("full", [True, False], ids=["full", "minimal"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders(tmp_path: Path, kind: str, full: bool) -> None:
    config = make_config(tmp_path, **{"notify.contact": "Service desk, +49 30 1234"})
    mail = Renderer().render(kind, sample_context(config, kind, NOW, full=full))
    if kind != DIGEST:
        assert mail.subject.startswith("[INC-123] P")
        assert "Card payments fail at checkout" in mail.subject
    assert "\n" not in mail.subject
    # the text part is plain, readable text: no markup, no template leftovers
    assert not re.search(r"<[a-z/][^>]*>|\{\{|\{%", mail.text)
    assert "Service desk, +49 30 1234" in mail.text
    assert mail.html.startswith("<!DOCTYPE html>") or mail.html.startswith("<html")
    elements = parse(mail.html)
    metas = {a.get("name"): a.get("content") for t, a in elements.tags if t == "meta"}
    assert metas["color-scheme"] == "light dark"
    # inlined: the body and every element with a class carries its own style
    styled = [a for t, a in elements.tags if a.get("class") or t == "body"]
    assert styled
    assert all(a.get("style") for a in styled)
    # what stays in <style> is the dark-mode block, for the clients that honour it
    (sheet,) = re.findall(r"<style>(.*?)</style>", mail.html, re.S)
    assert sheet.strip().startswith("@media (prefers-color-scheme: dark)")
    assert "<img" not in mail.html
    assert "background-image" not in mail.html


def test_update_says_what_changed_what_was_done_and_when_the_next_comes(tmp_path: Path
                                                                         ) -> None:
    config = make_config(tmp_path, **{"instructions.category": {
        "Service Disruption": "Take card payments by phone until further notice."}})
    mail = Renderer().render("update", sample_context(config, "update", NOW))
    text = mail.text
    assert "- Status changed from responding to contained by bob: Backup gateway carries" \
           " the load" in text
    assert "- ETA set to 2026-03-02 10:50 UTC by alice: Vendor renews the certificate" in text
    assert "Routed card payments through the backup gateway" in text  # actions taken
    assert "ETA:        2026-03-02 10:50 UTC (PASSED)" in text
    assert "Next status update by 2026-03-02 11:40 UTC (every 30 min while it lasts)." in text
    assert "Take card payments by phone until further notice." in text
    assert "Impact:     About 40 % of orders could not be paid for 2 hours." in text


def test_times_are_shown_in_the_configured_zone(tmp_path: Path) -> None:
    config = make_config(tmp_path, **{"notify.timezone": "Europe/Berlin"})
    text = Renderer().render("update", sample_context(config, "update", NOW)).text
    assert "Next status update by 2026-03-02 12:40 CET" in text


def test_html_escapes_incident_text(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    context = sample_context(config, "opened", NOW)
    context["incident"]["title"] = "<script>alert(1)</script> & <b>bold</b>"
    context["incident"]["description"] = '<img src=x onerror="steal()">'
    mail = Renderer().render("opened", context)
    assert "<script>" not in mail.html
    assert "<img" not in mail.html
    assert html.escape("<script>alert(1)</script>") in mail.html
    elements = parse(mail.html)
    assert "script" not in [t for t, _ in elements.tags]
    assert "<script>alert(1)</script> & <b>bold</b>" in "".join(elements.text)
    assert "<script>alert(1)</script> & <b>bold</b>" in mail.text  # plain text stays as is


def test_minimal_incident_needs_no_optional_value(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    context = sample_context(config, "update", NOW, full=False)
    del context["incident"]["title"]
    with pytest.raises(RenderError) as caught:  # strict: a missing value is an error
        Renderer().render("update", context)
    assert isinstance(caught.value.__cause__, jinja2.UndefinedError)
    assert "has no attribute 'title'" in str(caught.value)


def test_a_users_template_overrides_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "holding.subject.j2").write_text(
        "[{{ incident.key }}] still {{ incident.status }}\n", encoding="utf-8")
    config = make_config(tmp_path)
    mail = Renderer(tmp_path).render("holding", sample_context(config, "holding", NOW))
    assert mail.subject == "[INC-123] still contained"
    assert "no news since the last update" in mail.text  # the rest is shipped


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_colours_have_enough_contrast(palette: dict[str, str]) -> None:
    for foreground, background in PAIRS:
        ratio = contrast(palette[foreground], palette[background])
        assert ratio >= 4.5, (foreground, background, round(ratio, 2))


def test_contrast_formula() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777777", "#777777") == 1.0
