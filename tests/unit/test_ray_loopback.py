"""A local Ray instance started by a sweep listens on loopback only (a fresh interpreter: Ray reads the switch
when it is first imported)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="ray is not installed (optional; pip install ray)")
ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from rnn.runs.sweep import _import_ray
ray = _import_ray()
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
print(json.dumps({"nodes": [n["NodeManagerAddress"] for n in ray.nodes()],
                  "gcs": ray.get_runtime_context().gcs_address}))
ray.shutdown()
"""


def test_a_local_ray_instance_listens_on_loopback_only():
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["nodes"] == ["127.0.0.1"] and seen["gcs"].startswith("127.0.0.1:")
