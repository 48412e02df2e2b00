"""Process-level tuning: one BLAS thread for the engine's hot loops, and an opt-in malloc setting.

* The matrices here are small (H ~ 100): one OpenBLAS thread is as fast as two, and two threads stall
  badly when the other core is busy (another session, the Streamlit server). threadpoolctl is optional.
* keep_freed_memory changes glibc's malloc for the whole process, so nothing calls it on import; only
  `python -m rnn bench` opts in. glibc serves large blocks with mmap and unmaps them on free, so code
  that allocates big arrays every step pays for fresh zero-filled pages each time. The engine does not
  (rnn/fast.py reuses its arrays), but the seed loop the bench times does (a fresh H x H outer product
  per step and parameter), and the bench measures that reference at its best, not slowed by page
  faults. Linux/glibc only; elsewhere it is a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - the engine still works, just without the limit
    ThreadpoolController = None

_controller = None
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _blas():
    """threadpoolctl's view of the BLAS libraries loaded (NumPy's OpenBLAS), or None without threadpoolctl."""
    global _controller
    if ThreadpoolController is None:
        return None
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.select(user_api="blas")


def one_blas_thread():
    """Context manager limiting BLAS to one thread (a no-op without threadpoolctl). On exit the count
    before it comes back, whatever blas_thread_setter set inside."""
    blas = _blas()
    return contextlib.nullcontext() if blas is None else blas.limit(limits=1)


def blas_thread_setter():
    """A cheap set(n) for the BLAS thread count (~2 us a call), for switching inside a step; a no-op
    without threadpoolctl. Use it inside one_blas_thread(), which restores the count afterwards."""
    blas = _blas()
    libs = [] if blas is None else blas.lib_controllers

    def set_threads(n: int) -> None:
        for lib in libs:
            lib.set_num_threads(n)
    return set_threads


def keep_freed_memory(mmap_threshold: int = 64 << 20, trim_threshold: int = 256 << 20) -> bool:
    """Ask glibc to serve blocks below `mmap_threshold` from the heap and keep freed memory. True if applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold))
