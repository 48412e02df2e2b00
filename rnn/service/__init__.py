"""Live models as server objects: they train in worker processes and pages attach to them.

A dashboard model is found by a long random id (its capability: whoever has the link can see it). It lives
in a worker process (a pool sized to the machine's cores, or Ray actors when RAY_ADDRESS is set), trains
there in short slices, in turn with the other models of that worker, autosaves a checkpoint into the run
store, and pauses itself when no page has looked at it for a while. The server keeps a read-only replica
of each model (a Trainer that never trains) which pages read exactly as they read a Trainer; everything
that changes a model is a command sent to its worker.

    registry = Registry()                         # one per server process
    model_id = registry.create(corpus, config)    # or registry.attach(model_id) for a link
    registry.command(model_id, "run")             # run, pause, step, reset, change, ...
    trainer = registry.view(model_id)             # the replica, brought up to date
"""

from .protocol import new_model_id
from .registry import Registry, UnknownModel

__all__ = ["Registry", "UnknownModel", "new_model_id"]
