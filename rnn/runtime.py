"""Process-level tuning for the engine's hot loops: one BLAS thread, a malloc that keeps memory, a direct np.dot.

* The matrices here are small (H ~ 100): one OpenBLAS thread is as fast as two, and two threads stall
  badly when the other core is busy (another session, the Streamlit server). threadpoolctl is optional.
* Each training step allocates a few arrays of ~0.5 MB (B = 32). glibc serves blocks that large with
  mmap and returns them on free, so every step paid for fresh, zero-filled pages (measured: `hs * hs`
  on a (25, 32, 100) array took ~0.5 ms instead of ~0.04 ms). Raising the mmap and trim thresholds
  keeps freed blocks in the heap for reuse. Linux/glibc only; elsewhere this is a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys

import numpy as np

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - the engine still works, just without the limit
    ThreadpoolController = None

# np.dot runs a small Python function per call to look for __array_function__ overrides (~0.4 us). The
# engine's per-step loops pass plain ndarrays only, so they call the C function under it directly.
c_dot = getattr(np.dot, "__wrapped__", np.dot)

_controller = None
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def one_blas_thread():
    """Context manager limiting BLAS to one thread (a no-op without threadpoolctl)."""
    global _controller
    if ThreadpoolController is None:
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


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
