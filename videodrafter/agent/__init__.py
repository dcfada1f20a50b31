"""Users of the graph: batch generation (local, Ray) and conversational sessions."""
