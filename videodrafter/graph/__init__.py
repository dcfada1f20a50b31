"""The LangGraph state machine that turns a prompt into a video, checkpointed in SQLite."""
