"""Script planning, entity enrichment and script critique with an LLM."""
