"""Run tracking: the SQLite run store, a recorder for Trainers, and hyperparameter sweeps."""

from .recorder import RunRecorder
from .store import STATUSES, RunRecord, RunStore, RunStoreError, default_home

__all__ = ["RunRecorder", "RunRecord", "RunStore", "RunStoreError", "STATUSES", "default_home"]
