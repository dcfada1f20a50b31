"""What the tools run on: the engine protocol, the diffusers engine (real and random-weight presets),
the camera math (pixels and latents), segmentation and foreground composition.

The offline animatic engine is its own wing (``videodrafter.animatic``); embedders and the vision
critic are the consistency wing (``videodrafter.consistency``). ``random_weights`` is product code,
not test scaffolding: the ``tiny`` presets (CI, CPU benchmarks) and the GPU benchmark's real-size
random presets are built from it.
"""
