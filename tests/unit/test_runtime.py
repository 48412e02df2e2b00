"""Process-wide tuning happens only where a command opts in: `import rnn` leaves glibc's malloc alone."""

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Records every libc function looked up through ctypes.CDLL (keep_freed_memory looks up `mallopt`).
SPY = """
import ctypes
looked_up = []
class SpyCDLL(ctypes.CDLL):
    def __getattr__(self, name):
        looked_up.append(name)
        return super().__getattr__(name)
    def __getitem__(self, name):
        looked_up.append(name)
        return super().__getitem__(name)
ctypes.CDLL = SpyCDLL
"""


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": ROOT}
    r = subprocess.run([sys.executable, "-c", SPY + textwrap.dedent(code)], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_importing_the_engine_does_not_call_mallopt():
    out = run_python("""
        import importlib, pkgutil
        import rnn
        for m in pkgutil.walk_packages(rnn.__path__, "rnn."):
            if not m.name.endswith("__main__"):
                importlib.import_module(m.name)
        print("mallopt" in looked_up)
        from rnn.runtime import keep_freed_memory
        print(keep_freed_memory(), "mallopt" in looked_up)  # the spy does see a real call
    """)
    assert out.splitlines() == ["False", "True True"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_only_the_bench_command_opts_in():
    out = run_python("""
        import contextlib, io
        from rnn.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["train", "--builtin", "hello", "--hidden", "8", "--steps", "3", "--no-record"]) == 0
        print("mallopt" in looked_up)
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["bench", "--hidden", "8", "--batch", "1", "--dtype", "float64", "--seconds", "0.01",
                         "--repeats", "1"]) == 0
        print("mallopt" in looked_up)
    """)
    assert out.splitlines() == ["False", "True"]
