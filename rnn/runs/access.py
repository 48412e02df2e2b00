"""The run store as one dashboard visitor sees it: the only way the app's pages read or change runs.

A visitor is known by the live models its session has shown (ui/state.py `visible_models()`): holding a
model's id, which its link carries, is what makes that model's runs and sweeps yours. The rule (store.py,
next to the `owner` column): the server's runs (command line, sweeps started there) are visible to every
visitor and read-only in the app; a visitor's runs (its models' runs, its dashboard sweeps' runs) are
visible and changeable only by a holder of the model's id. Anything else reads as "no such run", so a
crafted run id tells nothing. The command line uses RunStore directly: it is the server's operator.
"""

from __future__ import annotations

from .store import RunRecord, RunStore, RunStoreError


class VisitorRuns:
    def __init__(self, store: RunStore, models):
        self.store = store
        self.models = frozenset(models)

    # ------------------------------------------------------------------ runs
    def runs(self, sweep_id: int | None = None) -> list[RunRecord]:
        return self.store.list_runs(sweep_id, visible_to=self.models)

    def get(self, run_id: int) -> RunRecord:
        return self.store.get(run_id, visible_to=self.models)

    def owns(self, rec: RunRecord) -> bool:
        """May this visitor rename or delete the run (it is one of its models' runs or sweeps')?"""
        return rec.owner is not None and rec.owner in self.models

    def metrics(self, run_id: int) -> dict[str, list]:
        self.get(run_id)
        return self.store.metrics(run_id)

    def val_metrics(self, run_id: int) -> list[tuple[int, float]]:
        self.get(run_id)
        return self.store.val_metrics(run_id)

    def rename(self, run_id: int, name: str) -> None:
        self.store.rename(run_id, name, owned_by=self.models)

    def set_tags(self, run_id: int, tags) -> None:
        self.store.set_tags(run_id, tags, owned_by=self.models)

    def delete(self, run_id: int) -> None:
        self.store.delete(run_id, owned_by=self.models)

    def continuable(self, rec: RunRecord) -> str | None:
        """The live model this run reopens (it is the newest run of one of this visitor's models), else None."""
        if not rec.model_key or rec.model_key not in self.models:
            return None
        latest = self.store.latest_run_of_model(rec.model_key)
        return rec.model_key if latest is not None and latest.id == rec.id else None

    # ------------------------------------------------------------------ sweeps
    def active_sweeps(self) -> list[int]:
        """This visitor's sweeps still at work."""
        return [s["id"] for s in self.store.active_sweeps() if s["owner"] in self.models]

    def _own_sweep(self, sweep_id: int) -> dict:
        try:
            sweep = self.store.get_sweep(sweep_id)
        except RunStoreError:
            sweep = None
        if sweep is None or sweep["owner"] not in self.models:
            raise RunStoreError(f"There is no sweep #{sweep_id} of yours.")
        return sweep

    def sweep_progress(self, sweep_id: int) -> dict:
        self._own_sweep(sweep_id)
        return self.store.sweep_progress(sweep_id)

    def cancel_sweep(self, sweep_id: int) -> None:
        self._own_sweep(sweep_id)
        self.store.cancel_sweep(sweep_id)
