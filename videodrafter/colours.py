"""Colour words and the colour each one names: what the drawing engines paint with and what the chat
agent recolours by ('make the dog brown'), so neither depends on the other."""

from __future__ import annotations

Color = tuple[int, int, int]

COLOR_WORDS: dict[str, Color] = {
    "red": (200, 40, 40), "crimson": (170, 20, 50), "orange": (235, 130, 30), "yellow": (240, 205, 40),
    "golden": (218, 165, 32), "gold": (218, 165, 32), "blonde": (230, 200, 120), "green": (60, 150, 60),
    "blue": (40, 90, 200), "navy": (25, 40, 110), "teal": (30, 140, 140), "purple": (120, 60, 160),
    "violet": (140, 80, 200), "pink": (235, 130, 170), "brown": (120, 75, 40), "chocolate": (90, 50, 25),
    "black": (30, 30, 30), "white": (245, 245, 240), "grey": (130, 130, 130), "gray": (130, 130, 130),
    "silver": (190, 190, 200), "beige": (220, 200, 160), "tan": (200, 160, 110), "cream": (245, 230, 200),
    "ginger": (200, 100, 40), "tabby": (170, 120, 70), "spotted": (240, 240, 240),
}
