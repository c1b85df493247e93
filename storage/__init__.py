"""The archive: a SQLite file (via sqlite-utils) holding every capture and version.

Knows nothing about HTTP, Scrapy or extraction: callers hand it plain values and the
record types of :mod:`storage.records`.
"""
from storage.archive import Archive, ArchiveError

__all__ = ["Archive", "ArchiveError"]
