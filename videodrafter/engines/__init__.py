"""What the tools run on: the offline animatic renderer and diffusers pipelines (real presets, tiny)."""
