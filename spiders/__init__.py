"""Fetching: the portal spider, its link rules, and response plumbing (decoding).

Yields :class:`spiders.capture.Capture` items and knows nothing about SQL, extraction or diffs.
"""
