"""Colour only on a terminal, and never under NO_COLOR."""
from __future__ import annotations

import io
import os
import pty

from monitor.terminal import counted, use_color


def test_terminal_gets_colour_unless_no_color_is_set(monkeypatch):
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            monkeypatch.delenv("NO_COLOR", raising=False)
            assert use_color(terminal)
            monkeypatch.setenv("NO_COLOR", "1")
            assert not use_color(terminal)
    finally:
        os.close(leader)
        os.close(follower)


def test_pipe_or_file_gets_no_colour(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not use_color(io.StringIO())


def test_counts_agree_with_their_noun():
    assert counted(1, "listing page") == "1 listing page"
    assert counted(3, "listing page") == "3 listing pages"
    assert counted(0, "notice") == "0 notices"
