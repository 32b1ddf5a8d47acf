"""Acting on notifier while it runs: the one shared mute, the commands that change it, the ntfy control topic.

May import the leaves, `sqlite` and `delivery.policy`'s wall clock; never rules, stream, account, rulefile, Home Assistant or run.
"""

# :mod:`.mute` is the mute itself (a value), :mod:`.commands` reads a command
# (``mute 1h``, ``unmute``, ``status`` …) from text, :mod:`.link` reads the rule
# file's control topic URL: all three are pure. :mod:`.keeper` is where a run
# keeps the mute (the state file, shared with ``notifier mute``), and
# :mod:`.subscriber` listens to the control topic with ntfy's JSON stream.
