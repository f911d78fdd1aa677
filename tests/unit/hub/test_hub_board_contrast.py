"""The board's colours meet WCAG 2.2 AA contrast (4.5:1 for text), read from its stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mash.hub.board

CSS = (Path(mash.hub.board.__file__).with_name("templates") / "board.css").read_text()
COLOURS = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6})", CSS))
WHITE = "#ffffff"


def luminance(colour: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(
    ("foreground", "background"),
    [
        ("text", WHITE),
        ("muted", WHITE),
        ("link", WHITE),
        ("text", "panel"),
        ("red", WHITE),  # error messages
        (WHITE, "green"),  # "Green: On time"
        ("text", "amber"),  # "Amber: Due soon"
        (WHITE, "red"),  # "Red: Breached"
        ("text", "focus"),  # focused control
    ],
)
def test_text_contrast_is_at_least_4_5_to_1(foreground: str, background: str) -> None:
    fg = COLOURS.get(foreground, foreground)
    bg = COLOURS.get(background, background)
    assert contrast(fg, bg) >= 4.5, f"{foreground} on {background}: {contrast(fg, bg):.2f}"


def test_every_rag_badge_uses_the_checked_pairs() -> None:
    assert ".rag-green { background: var(--green); color: #fff; }" in CSS
    assert ".rag-amber { background: var(--amber); color: var(--text); }" in CSS
    assert ".rag-red { background: var(--red); color: #fff; }" in CSS
