"""A time limit that stops the work: the service sets one per check (`within`), the scan looks at it between
steps (`check`), and a check over its time ends with `Overtime` instead of running on after its answer was given.

Per thread: each check runs in a thread of its own. Outside `within`, `check` costs a dictionary look-up.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

_local = threading.local()


class Overtime(Exception):
    """The current thread's check ran past its time limit."""


@contextlib.contextmanager
def within(seconds: float | None) -> Iterator[None]:
    """Run the block with a time limit (None: none); `check` inside it raises Overtime once it has passed."""
    before = getattr(_local, "at", None)
    _local.at = None if seconds is None else time.monotonic() + seconds
    try:
        yield
    finally:
        _local.at = before


def check() -> None:
    """Raise Overtime if the current thread's time limit has passed."""
    at = limit()
    if at is not None and time.monotonic() > at:
        raise Overtime


def limit() -> float | None:
    """The current thread's time limit (time.monotonic()), or None: for helper threads of its check to stop at."""
    return getattr(_local, "at", None)
