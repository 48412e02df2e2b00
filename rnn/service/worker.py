"""Worker processes: each runs a ModelHost, fed by one pipe from the server.

The loop: take every waiting message, give one model a slice of training, send the events, and about once
a second do the housekeeping (idle pause, autosave). With nothing to train it sleeps on the pipe. If the
server goes away (the pipe closes) the worker saves every model and exits, so no worker outlives its server
and a restarted server reopens the models from their checkpoints.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

from ..threads import ENV as THREADS_ENV
from .host import ModelHost
from .protocol import Close

TICK_SECONDS = 1.0
WORKER_NICE = 10  # added to the worker processes' nice value (RNN_LAB_WORKER_NICE to change it)
# the folder that holds the rnn package, so the worker imports the same code as the server
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _exit(signum, frame):
    raise SystemExit(0)


def serve(poll, recv, send, store_home: str | None) -> None:
    """The worker loop, over any channel: poll(timeout) -> bool, recv() -> message (None: stop), send(event).
    Returns when the server says stop or goes away, after saving every model."""
    host = ModelHost(send, store_home)
    last_tick = time.monotonic()
    try:
        while True:
            busy = any(m.busy for m in host.models.values())
            while poll(0 if busy else TICK_SECONDS):
                msg = recv()
                if msg is None:  # the server's orderly stop
                    raise EOFError
                host.handle(msg)
                busy = any(m.busy for m in host.models.values())
            host.work()
            if time.monotonic() - last_tick >= TICK_SECONDS:
                host.tick()
                last_tick = time.monotonic()
    except (EOFError, OSError, SystemExit):
        for model_id in list(host.models):  # the server is gone: keep every model for its next start
            try:
                host.handle(Close(model_id))
            except Exception:  # noqa: BLE001 - save what can be saved, then leave
                pass


def _serve_process(conn, store_home: str | None) -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ[THREADS_ENV] = "1"  # the workers share the cores between many models: one BLAS thread each
    # Below the server in CPU priority: training takes every core the pages leave free, but a click or a
    # redraw never waits behind it (on a classroom server the pages are what people are looking at).
    try:
        os.nice(int(os.environ.get("RNN_LAB_WORKER_NICE", WORKER_NICE)))
    except (OSError, ValueError):
        pass
    signal.signal(signal.SIGTERM, _exit)  # terminate() (the server exiting) saves like a closed pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the server's terminal: the server stops us
    serve(conn.poll, conn.recv, conn.send, store_home)


class ProcessWorker:
    """The server's handle on one worker process: send messages, and a thread that delivers its events."""

    def __init__(self, index: int, on_event, on_death, store_home: str | None = None):
        self.index = index
        # A fresh interpreter (`python -m rnn.service`), not a fork: the server has threads (Streamlit's)
        # that a forked child would inherit broken, and multiprocessing's spawn would re-run the server's
        # main script (streamlit's) in the child. One socket pair carries the messages both ways.
        ours, theirs = socket.socketpair()
        cmd = [sys.executable, "-m", "rnn.service", str(theirs.fileno())]
        if store_home is not None:
            cmd.append(os.fspath(store_home))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(cmd, pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL)
        theirs.close()
        self._conn = Connection(ours.detach())
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, args=(on_event, on_death), daemon=True,
                                        name=f"rnn-lab-worker-{index}-events")
        self._reader.start()

    def send(self, msg) -> None:
        with self._send_lock:
            self._conn.send(msg)

    def _read(self, on_event, on_death) -> None:
        try:
            while True:
                on_event(self._conn.recv())
        except (EOFError, OSError):
            pass
        on_death(self)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the worker to save its models and exit; kill it if it does not."""
        try:
            self.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(1)


def main(argv: list[str]) -> None:
    """`python -m rnn.service FD [STORE_HOME]`: serve the server at the other end of socket FD."""
    _serve_process(Connection(int(argv[0])), argv[1] if len(argv) > 1 else None)
