"""Charts of a post's counts: a small PNG (Pillow, imported only where drawn) and a one-line sparkline.

May import the leaves only: a chart is a pure function of an Alert's Chart value.
"""

# Both are pure functions of a :class:`~notifier.alert.Chart`: delivery draws
# them when it sends an alert, never the engine. :mod:`.png` imports Pillow,
# so import it only where a chart is drawn; :mod:`.sparkline` needs nothing.
