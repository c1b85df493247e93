"""Whether output to a terminal may use colour and bold.

Colour only on a terminal, and never when ``NO_COLOR`` is set to anything non-empty
(https://no-color.org), which users set once for every program they run.
"""
from __future__ import annotations

import os
from typing import TextIO


def use_color(stream: TextIO) -> bool:
    """True when ``stream`` is a terminal and the user has not asked for no colour."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 listing page``, ``2 listing pages``."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
