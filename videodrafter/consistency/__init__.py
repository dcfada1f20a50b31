"""The consistency wing: does an entity look the same in every scene?

- ``appearance`` / ``learned_embedders`` / ``embedders``: image embedders (offline colour-and-shape,
  CLIP, DINOv2), each with the similarity threshold of its feature space.
- ``vision_critic`` (+ ``critic_images``, ``verdict``): a vision LLM judges scene images and clips
  against the entity references.
- ``selection``: which candidate a scene keeps and whether it passed.

It knows nothing of the graph: the graph's stages call it with plain records.
"""
