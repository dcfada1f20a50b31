"""What the tools run on: diffusers pipelines, the offline animatic, and the shared camera math."""
