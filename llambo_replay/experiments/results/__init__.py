"""Committed results: presets, the command line that replays each, `check`, `migrate`, and what is exact where."""
