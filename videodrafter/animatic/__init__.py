"""The animatic wing: the offline storyboard engine and its pictogram art.

``engine.AnimaticEngine`` renders scenes deterministically from the script (backgrounds, entity
pictograms that look the same in every scene, captions) and moves the camera over the pixels with
the same math the diffusers engine applies to latents (``engines.camera``).
"""
