"""videodrafter: one prompt in, a content-consistent multi-scene video out."""

__version__ = "0.1.0"
