"""What a worker sends the coordinator for one fetch, and where large bodies wait."""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from monitor.article import Article
from spiders.capture import Capture

# Results larger than this (pickled capture + article) go to the blob store when one is set.
DEFAULT_BLOB_THRESHOLD = 256 * 1024


@dataclass(slots=True)
class Result:
    """One fetch, as pushed to the results queue. ``capture_id`` is the queue entry id: a
    fetch repeated after a visibility timeout comes back with the same id and is stored once.
    ``article`` is the extracted notice when the worker extracted it (new bytes at a notice
    address); the coordinator extracts itself when it needs one and none came. ``blob`` names
    the blob holding ``(capture, article)`` when they were too large for Redis."""

    capture_id: str
    plan_key: str
    worker: str
    capture: Capture | None
    article: Article | None = None
    blob: str | None = None


def encode(result: Result) -> bytes:
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


def decode(data: bytes) -> Result:
    return pickle.loads(data)


class BlobStore:
    """A directory shared by workers and coordinator (``file:///path`` or a plain path):
    one file per large result, named by capture id, deleted once stored."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("", "file"):
            raise ValueError(f"blob store {url!r}: only a directory (file:///path or a path) is supported")
        self.root = Path(unquote(parts.path) if parts.scheme == "file" else url)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, result: Result) -> Result:
        path = self.root / f"{result.capture_id}.pickle"
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(pickle.dumps((result.capture, result.article), protocol=pickle.HIGHEST_PROTOCOL))
        temporary.replace(path)
        return Result(result.capture_id, result.plan_key, result.worker, None, None, blob=path.as_uri())

    @staticmethod
    def load(result: Result) -> Result:
        """The result with its capture and article read back from the blob it names."""
        if result.blob is None:
            return result
        path = Path(unquote(urlsplit(result.blob).path))
        result.capture, result.article = pickle.loads(path.read_bytes())
        return result

    @staticmethod
    def discard(result: Result) -> None:
        if result.blob is not None:
            Path(unquote(urlsplit(result.blob).path)).unlink(missing_ok=True)
