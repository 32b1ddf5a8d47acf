"""Charts of a post's counts: a small PNG and a one-line Unicode sparkline.

Both are pure functions of a :class:`~notifier.alert.Chart`: delivery draws
them when it sends an alert, never the engine. :mod:`.png` imports Pillow,
so import it only where a chart is drawn; :mod:`.sparkline` needs nothing.
"""
