"""The parts of a run: the daemon's lifecycle, its settings, building its parts, the one-event pipeline, reloads, replays, health, metrics.

May import every other package; only `commands`, the top-level names and (for typing) Home Assistant import it.
"""

# May import every other package; only `commands`, the top-level names and (for typing) Home Assistant import it.
