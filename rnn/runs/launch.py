"""Start a stored sweep as a child of this process, tied to it: when this process ends, the sweep is cancelled.

The dashboard runs a sweep in its own process (so the page stays responsive and a closed tab does not stop
it), but a sweep must not outlive the server that started it. The tie is a pipe: the child's stdin, whose
writing end only this process holds (kept in `_HELD` for the process's life). However this process ends
(exit, SIGTERM, SIGKILL, a crash), the OS closes that end; the child reads end-of-file and cancels the sweep
in the store, so its workers stop within a training chunk, queued runs never start, and the sweep row ends
cancelled and finished. The child is `python -m rnn.runs.launch`, which runs `python -m rnn sweep
--sweep-id N` in-process with that watch added.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path

from ..threads import ENV as THREADS_ENV
from .store import RunStore

REPO = Path(__file__).resolve().parents[2]
_HELD: dict[int, subprocess.Popen] = {}  # sweep id -> its process, whose stdin pipe ties it to us


def launch(store: RunStore, sweep_id: int, workers: int, log_path: Path) -> subprocess.Popen:
    """Run sweep `sweep_id` (already in `store`) with `workers` workers, output to `log_path`."""
    for ended in [i for i, p in _HELD.items() if p.poll() is not None]:  # sweeps whose launcher tab has gone
        release(ended)
    cmd = [sys.executable, "-m", "rnn.runs.launch", "--home", str(store.home.resolve()), "--sweep-id",
           str(sweep_id), "--workers", str(workers)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", THREADS_ENV: "1"}  # a dashboard sweep shares the server
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=log,
                                stderr=subprocess.STDOUT)
    # The sweep's pid at once (the row holds ours until the child starts): a child that dies early is
    # then seen as ended, and does not count as a running sweep.
    store.set_sweep_owner(sweep_id, proc.pid)
    _HELD[sweep_id] = proc
    return proc


def release(sweep_id: int) -> None:
    """Forget an ended sweep's process (closes our end of its pipe)."""
    proc = _HELD.pop(sweep_id, None)
    if proc is not None and proc.stdin is not None:
        proc.stdin.close()


def cancel_when_stdin_closes(home: str, sweep_id: int, fd: int | None = None) -> threading.Thread:
    """Watch file descriptor `fd` (stdin) in a daemon thread; at end-of-file (our parent is gone) cancel the
    sweep. A raw read: a daemon thread blocked in sys.stdin's buffered read would hold its lock at exit."""
    fd = sys.stdin.fileno() if fd is None else fd

    def watch():
        while os.read(fd, 4096):  # the parent never writes; anything it did is ignored
            pass
        print(f"sweep #{sweep_id}: the process that started it has ended; cancelling", file=sys.stderr, flush=True)
        RunStore(home).cancel_sweep(sweep_id)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    from ..cli import main as cli_main

    p = argparse.ArgumentParser(prog="python -m rnn.runs.launch", description="internal: a tied dashboard sweep")
    p.add_argument("--home", required=True)
    p.add_argument("--sweep-id", type=int, required=True)
    p.add_argument("--workers", type=int, required=True)
    args = p.parse_args(argv)
    cancel_when_stdin_closes(args.home, args.sweep_id)
    return cli_main(["sweep", "--home", args.home, "--sweep-id", str(args.sweep_id), "--workers", str(args.workers)])


# Guarded: multiprocessing (sweep workers) may import this module again as __mp_main__.
if __name__ == "__main__":
    sys.exit(main())
