"""Narration: speech engines behind one protocol, per-scene speech artifacts, and the mixer."""
