"""Shared test setup: make the repo root importable (`import rnn`) however pytest is invoked."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
# The engine's matrices are small: one BLAS thread is as fast and does not fight other processes.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
