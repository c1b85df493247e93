"""Stopping on SIGINT/SIGTERM the way a user expects, for every long-running command.

The first signal asks the work to stop: no new requests are scheduled, the items in hand are
finished and stored, the round is published, and a summary marked "interrupted" is printed;
the command then exits 128 + the signal (130 for Ctrl-C, 143 for ``kill``/``timeout``/systemd).
A second signal stops at once: the child processes are killed (SQLite's journal keeps the
archive consistent: a transaction is either whole or absent) and the command exits with the
same code without publishing (what was stored is announced by the next round).

No process outlives the command: a round's child process and its extraction workers ask the
kernel to kill them when their parent dies (:func:`die_with_parent`, ``PR_SET_PDEATHSIG`` on
Linux), and the fork server that starts rounds exits when the command does.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import signal
import sys
import threading
from collections.abc import Callable
from typing import Self

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_code(signum: int) -> int:
    """The shell's convention for a command ended by a signal: 128 + its number."""
    return 128 + signum


def die_with_parent(signum: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent (thread) exits; False
    where that is not available (other systems: the parent's own shutdown must do)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class GracefulStop:
    """Within ``with GracefulStop(...)``: the first SIGINT/SIGTERM calls ``on_stop`` and
    records the signal; the second calls ``on_force`` and raises ``SystemExit(128 + n)``.

    Outside the main thread (signals cannot be caught there) it does nothing.
    """

    def __init__(self, on_stop: Callable[[], None] | None = None,
                 on_force: Callable[[], None] | None = None) -> None:
        self.on_stop = on_stop
        self.on_force = on_force
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def stopped(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum) if self.signum is not None else 0

    def _handle(self, signum: int, _frame: object) -> None:
        if self.signum is None:
            self.signum = signum
            if self.on_stop is not None:
                self.on_stop()
            return
        if self.on_force is not None:
            self.on_force()
        raise SystemExit(exit_code(self.signum))

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous = {}
