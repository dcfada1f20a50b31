"""The media stages of the video graph, one room each, in the order they run:

references → scene_images → consistency_check ⟲ → clips → narration → assemble.

Each node reads as numbered stages. Every artifact is named by the hash of its inputs and found
again through ``store.reuse_or_make`` (recorded → reused; finished but unrecorded after a kill →
recovered from its files; else made), so a resumed or edited run redoes only what changed.
Advisory steps (the vision critic, speech) fail through ``videodrafter.advisory``: a note, never a
failed run.
"""
