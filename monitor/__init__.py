"""Deciding and telling: extraction, normalisation, change detection, diffs, alerts, CLI.

``monitor`` uses ``spiders`` and ``storage``; neither of those imports ``monitor``.
"""
