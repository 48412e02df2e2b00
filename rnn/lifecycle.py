"""How CLI processes end: a stop signal is handled like Ctrl-C, and a worker leaves when its parent is gone.

`python -m rnn train` and `python -m rnn sweep` clean up on KeyboardInterrupt (runs marked "killed", the
sweep cancelled). A plain `kill` (SIGTERM) or a closed terminal (SIGHUP) would end the process without any
of that, and leave sweep workers training; `stop_signals()` turns them into `Terminated`, a KeyboardInterrupt.
Either must not land in the middle of a training step, which would leave the Trainer half updated (a history
list one entry short) and the cleanup failing on it: `uninterrupted` holds the stop back until the step ends.
A worker process started by a sweep runs `watch_parent()`, which tells it once that parent has died (even
by SIGKILL, which nothing can catch), so it stops its run and exits instead of training on for nobody.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
WATCH_SECONDS = 0.2  # how often a worker checks that its parent is alive


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: clean up as for Ctrl-C; the exit code is 128 + the signal number."""

    def __init__(self, signum: int):
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.exit_code = 128 + signum


HANDLED = (*STOP_SIGNALS, signal.SIGINT)  # Ctrl-C too: it should not cut a training step in half either
_blocks = threading.local()  # how deep this thread is in `uninterrupted` blocks (signals run in the main thread)
_deferred: list[KeyboardInterrupt] = []  # a stop that arrived inside a block, raised when the block ends


def _on_stop_signal(signum, frame):
    if signum != signal.SIGINT:  # once: a second signal during the cleanup ends the process at once
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_DFL)
    exc = KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)
    if getattr(_blocks, "depth", 0):
        _deferred.append(exc)
        return
    raise exc


class _Uninterrupted:
    """`with uninterrupted:` a stop signal that arrives inside the block is raised when it ends, so the block's
    writes are all done or not started (a Trainer step: parameters, counters and every history list agree)."""

    def __enter__(self):
        _blocks.depth = getattr(_blocks, "depth", 0) + 1

    def __exit__(self, exc_type, exc, tb):
        _blocks.depth -= 1
        if _blocks.depth == 0 and _deferred:
            stop = _deferred.pop()
            _deferred.clear()
            raise stop
        return False


uninterrupted = _Uninterrupted()


def handle_stop_signals() -> None:
    """From now on SIGTERM/SIGHUP raise Terminated, and Ctrl-C KeyboardInterrupt, in the main thread, but never
    inside an `uninterrupted` block (for worker processes)."""
    for s in HANDLED:
        signal.signal(s, _on_stop_signal)


@contextlib.contextmanager
def stop_signals():
    """SIGTERM/SIGHUP raise Terminated (Ctrl-C KeyboardInterrupt) inside the block, between training steps,
    and the previous handlers come back after it.
    Outside the main thread (signals cannot be handled there) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in HANDLED}
    handle_stop_signals()
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (dead, waiting to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:  # no /proc (macOS): kill(0) answered
        return True


def watch_parent(parent_pid: int, on_gone: Callable[[], None], interval: float = WATCH_SECONDS) -> threading.Thread:
    """Call on_gone() once, from a daemon thread, when process `parent_pid` dies or we are re-parented
    (a forkserver between us and it exits when it does)."""
    start_ppid = os.getppid()

    def watch():
        stop = threading.Event()
        while not stop.wait(interval):
            if os.getppid() != start_ppid or not process_alive(parent_pid):
                on_gone()
                return

    thread = threading.Thread(target=watch, name="rnn-lab-parent-watch", daemon=True)
    thread.start()
    return thread
