"""The colours of the HTML mails, light and dark, kept where a test can check them.

Every text colour has at least WCAG AA contrast (4.5:1) on each background of
its scheme. Mail clients that honour `prefers-color-scheme` get the dark
palette; the others show the light one, which is also what clients that
invert colours on their own start from.
"""

from __future__ import annotations

from collections.abc import Mapping

LIGHT: Mapping[str, str] = {
    "background": "#ffffff",
    "panel": "#f2f4f7",
    "text": "#1b1f24",
    "muted": "#4a5361",
    "accent": "#0b57d0",
    "alert": "#a50e0e",
    "badge_text": "#ffffff",
    "badge": "#a50e0e",
    "border": "#d0d7de",
}

DARK: Mapping[str, str] = {
    "background": "#16181c",
    "panel": "#22262c",
    "text": "#e8eaed",
    "muted": "#aeb6c2",
    "accent": "#8ab4f8",
    "alert": "#f28b82",
    "badge_text": "#16181c",
    "badge": "#f28b82",
    "border": "#3c4043",
}

# (text colour, background colour) pairs that appear in the mails
PAIRS = (
    ("text", "background"), ("text", "panel"), ("muted", "background"), ("muted", "panel"),
    ("accent", "background"), ("alert", "background"), ("alert", "panel"),
    ("badge_text", "badge"),
)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of `#rrggbb` (WCAG 2.x)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    a, b = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)
