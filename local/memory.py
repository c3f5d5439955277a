"""Give freed heap memory back to the OS while the local stack runs (glibc only; elsewhere a no-op).

A burst of writes allocates and frees many small objects (request bodies, moto's copies, stream images the
pollers have read); glibc keeps the freed pages in its arenas, so the process's RSS stays at the burst's
peak long after the data that remains is much smaller. ``malloc_trim(0)`` returns free pages at the top
and inside the heap. :class:`Trimmer` calls it every ``interval`` seconds on a daemon thread
(``LOCAL_MALLOC_TRIM_SECONDS``, default 10; 0 turns it off).
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Callable

INTERVAL_S = 10.0


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` from the symbols already loaded in this process, or None (musl, macOS...)."""
    try:
        function = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def trim_interval(setting: str | None) -> float:
    """Seconds between trims from ``LOCAL_MALLOC_TRIM_SECONDS`` (unset or empty: the default; 0: off)."""
    if not setting:
        return INTERVAL_S
    try:
        seconds = float(setting)
    except ValueError:
        raise ValueError(f"LOCAL_MALLOC_TRIM_SECONDS must be a number of seconds, not {setting!r}") from None
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"LOCAL_MALLOC_TRIM_SECONDS must be 0 or more, not {setting!r}")
    return seconds


def trim() -> bool:
    """Return free heap pages to the OS now; True if glibc released any, False if none or not glibc."""
    function = _malloc_trim()
    return bool(function(0)) if function is not None else False


class Trimmer:
    """Calls :func:`trim` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.trims = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="malloc-trim", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.trims += 1
            trim()

    def start(self) -> Trimmer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.interval + 5)
