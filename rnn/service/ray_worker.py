"""The same workers as Ray actors, for a class that outgrows one machine (RAY_ADDRESS names the cluster).

Each actor runs the worker loop (worker.serve) in a thread of its own; the server delivers messages with
`deliver` and collects events with `drain`, a long poll. A threaded actor lets both run beside the loop.
The actors save checkpoints into the store folder they are given, so on a cluster that folder must be
shared (or the models reopen only where they were saved).
"""

from __future__ import annotations

import itertools
import os
import queue
import threading

from ..threads import ENV as THREADS_ENV
from .worker import serve


class _Channel:
    """poll/recv over a queue.Queue, the shape worker.serve reads its messages in."""

    def __init__(self):
        self.inbox: queue.Queue = queue.Queue()
        self._next = []

    def poll(self, timeout: float) -> bool:
        if not self._next:
            try:
                self._next.append(self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait())
            except queue.Empty:
                return False
        return True

    def recv(self):
        return self._next.pop() if self._next else self.inbox.get()


class HostActor:
    def __init__(self, store_home: str | None):
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ[THREADS_ENV] = "1"  # one actor trains many models: one BLAS thread each
        self.channel = _Channel()
        self.outbox: queue.Queue = queue.Queue()
        self.order_lock, self.waiting, self.next_n = threading.Lock(), {}, 0
        self.thread = threading.Thread(target=serve, daemon=True, name="rnn-lab-host",
                                       args=(self.channel.poll, self.channel.recv, self.outbox.put, store_home))
        self.thread.start()

    def deliver(self, n: int, msg) -> None:
        """Message number n. A threaded actor may run two calls out of order, so they are put back in order."""
        with self.order_lock:
            self.waiting[n] = msg
            while self.next_n in self.waiting:
                self.channel.inbox.put(self.waiting.pop(self.next_n))
                self.next_n += 1

    def drain(self, timeout: float = 1.0) -> list:
        """The events since the last call, waiting up to `timeout` for the first one."""
        try:
            events = [self.outbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                events.append(self.outbox.get_nowait())
            except queue.Empty:
                return events

    def join(self, timeout: float) -> bool:
        """Wait for the loop to end (after a stop message it saves every model first)."""
        self.thread.join(timeout)
        return not self.thread.is_alive()


def _ray():
    from ..runs.sweep import loopback_unless_cluster

    loopback_unless_cluster()
    try:
        import ray
    except ImportError:
        raise ValueError("RAY_ADDRESS is set, but the optional package 'ray' is not installed: "
                         "pip install ray") from None
    if not ray.is_initialized():
        # The cluster's machines may not have this code: ship the rnn package with the job.
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        ray.init(address=os.environ.get("RAY_ADDRESS") or None, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", runtime_env={"py_modules": [os.path.join(root, "rnn")]})
    return ray


class RayWorker:
    """The server's handle on one HostActor; the same interface as worker.ProcessWorker."""

    def __init__(self, index: int, on_event, on_death, store_home: str | None = None):
        ray = _ray()
        self.index = index
        self._ray = ray
        home = os.path.abspath(store_home) if store_home else None
        self.actor = ray.remote(num_cpus=1, max_concurrency=4)(HostActor).remote(home)
        self._alive = True
        self._sent = itertools.count()
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, args=(on_event, on_death), daemon=True,
                                        name=f"rnn-lab-ray-worker-{index}-events")
        self._reader.start()

    def send(self, msg) -> None:
        if msg is None:
            self._alive = False
        with self._send_lock:
            self.actor.deliver.remote(next(self._sent), msg)

    def _read(self, on_event, on_death) -> None:
        try:
            while self._alive:
                for event in self._ray.get(self.actor.drain.remote(1.0)):
                    on_event(event)
        except Exception:  # noqa: BLE001 - the actor (or its node) died
            pass
        self._alive = False
        on_death(self)

    @property
    def alive(self) -> bool:
        return self._alive

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the actor to save its models, wait for its loop to end, then let Ray reclaim it."""
        try:
            self.send(None)
            self._ray.get(self.actor.join.remote(timeout), timeout=timeout + 5)
            self._reader.join(timeout)
            self._ray.kill(self.actor)
        except Exception:  # noqa: BLE001 - a cluster that is already gone has nothing left to stop
            pass
