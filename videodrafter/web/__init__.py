"""The Gradio web UI (`videodrafter serve`)."""
