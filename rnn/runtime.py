"""Run the engine's hot loops with one BLAS thread.

The matrices here are small (H ~ 100): one OpenBLAS thread is as fast as two, and two threads stall badly
when the other core is busy (another session, the Streamlit server). threadpoolctl is optional.
"""

from __future__ import annotations

import contextlib

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - the engine still works, just without the limit
    ThreadpoolController = None

_controller = None


def one_blas_thread():
    """Context manager limiting BLAS to one thread (a no-op without threadpoolctl)."""
    global _controller
    if ThreadpoolController is None:
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
