"""Who holds a claim or a lock in the archive, and whether that holder is still alive.

A holder is a process (its PID and the moment the kernel started it, so a PID reused by an
unrelated process after a crash is not mistaken for the holder) plus the thread and a random
token: threads of one ``watch`` process are distinct holders. A holder whose process is gone
(``kill -9``, a power cut) holds nothing any more: its locks are taken over and its claims
sent again.
"""
from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass


def process_started(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (Linux ``/proc``), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return fields[19]  # field 22 of stat(5); the two before the split are pid and comm
    except (OSError, IndexError):
        return None


def process_alive(pid: int, started: str | None) -> bool:
    """Is ``pid`` running, and is it the process that started at ``started``?"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started is None:
        return True
    now = process_started(pid)
    return now is None or now == started


@dataclass(frozen=True)
class Holder:
    pid: int
    started: str | None
    token: str

    @classmethod
    def current(cls) -> Holder:
        pid = os.getpid()
        return cls(pid, process_started(pid), f"{pid}:{threading.get_ident()}:{secrets.token_hex(4)}")

    @property
    def claim(self) -> str:
        """The ``claimed_by`` form: ``PID/START/TOKEN``, parsed back by :func:`claim_alive`."""
        return f"{self.pid}/{self.started or ''}/{self.token}"


def claim_alive(claimed_by: str | None) -> bool:
    """Is the holder named by a ``claimed_by`` value still running?"""
    if not claimed_by:
        return False
    pid, _, rest = claimed_by.partition("/")
    started = rest.partition("/")[0] or None
    try:
        return process_alive(int(pid), started)
    except ValueError:
        return False
