"""Train the starter models of rnn/starters.py and the runs of the hyperparameter gallery (rnn/gallery.py), and
save them in rnn/starter_models/ (about five minutes on one core).

    python scripts/make_starters.py            # all of them
    python scripts/make_starters.py prose      # one
    python scripts/make_starters.py gallery    # the gallery's runs only
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnn import gallery  # noqa: E402
from rnn.checkpoint import save_checkpoint  # noqa: E402
from rnn.starters import DIR, STARTERS, path, train_starter  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    known = [*STARTERS, "gallery"]
    parser.add_argument("names", nargs="*", help=f"what to make: {', '.join(known)} (default: all)")
    names = parser.parse_args().names or known
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"no starter named {', '.join(unknown)}; choose from {', '.join(known)}")
    DIR.mkdir(exist_ok=True)
    for name in names:
        t0 = time.perf_counter()
        if name == "gallery":
            runs = gallery.record()
            gallery.save(runs)
            print(f"gallery: {len(runs)} runs in {time.perf_counter() - t0:.0f} s, "
                  f"{gallery.PATH.stat().st_size:,} bytes -> {gallery.PATH}")
            for run in runs:
                print(f"  {run['name']}: {run['status']}, {run['summary']['iterations']} iterations, val loss "
                      f"{run['summary']['val_loss']}")
            continue
        trainer = train_starter(STARTERS[name])
        save_checkpoint(trainer, path(name))
        print(f"{name}: {trainer.iteration} iterations in {time.perf_counter() - t0:.0f} s, validation loss "
              f"{trainer.last_val_loss:.3f} nats/char, {path(name).stat().st_size:,} bytes -> {path(name)}")


if __name__ == "__main__":
    main()
