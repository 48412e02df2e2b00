"""`python -m rnn runs ...`: list, show, export, rename, tag and delete recorded runs."""

from __future__ import annotations

import json
import sys
import time

from ..config import model_text
from ..runs.store import RunStore, RunStoreError


def add_parser(sub):
    p = sub.add_parser("runs", help="list and inspect recorded runs",
                       description="Recorded training runs (stored under RNN_LAB_HOME, default ./runs).")
    p.add_argument("--home", metavar="DIR", help="data folder (default: $RNN_LAB_HOME or ./runs)")
    rs = p.add_subparsers(dest="runs_command", metavar="ACTION", parser_class=type(p))
    rs.required = True
    ls = rs.add_parser("list", help="list runs, newest first")
    ls.add_argument("--json", action="store_true", help="print a JSON list with one object per run")
    ls.add_argument("--status", help="only runs with this status")
    ls.add_argument("--tag", help="only runs with this tag")
    show = rs.add_parser("show", help="details of one run")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    ex = rs.add_parser("export", help="metrics of one run as CSV")
    ex.add_argument("id", type=int)
    ex.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    rn = rs.add_parser("rename", help="rename a run")
    rn.add_argument("id", type=int)
    rn.add_argument("name")
    tg = rs.add_parser("tag", help="set a run's tags (replaces them)")
    tg.add_argument("id", type=int)
    tg.add_argument("tags", nargs="*", help="tags; none clears them")
    dl = rs.add_parser("delete", help="delete runs and their stored checkpoints")
    dl.add_argument("ids", type=int, nargs="+")
    p.set_defaults(run=run)


def _store(args) -> RunStore:
    return RunStore(args.home) if args.home else RunStore()


def _f(x, fmt=".4f"):
    return "-" if x is None else format(x, fmt)


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def run(args) -> int:
    try:
        return _run(args)
    except RunStoreError as exc:
        # Same shape as the CLI's other user errors: one line, exit 1.
        raise ValueError(str(exc)) from None


def _run(args) -> int:
    store = _store(args)
    cmd = args.runs_command
    if cmd == "list":
        runs = store.list_runs()
        if args.status:
            runs = [r for r in runs if r.status == args.status]
        if args.tag:
            runs = [r for r in runs if args.tag in r.tags]
        if args.json:
            print(json.dumps([r.to_dict() for r in runs]))
            return 0
        if not runs:
            print(f"no runs recorded in {store.home}")
            return 0
        print(f"{'id':>4}  {'name':<28} {'status':<9} {'corpus':<12} {'model':<10} {'H':>4} {'T':>4} {'lr':>7} "
              f"{'opt':<7} {'iters':>7} {'train':>7} {'val':>7}  {'started'}")
        for r in runs:
            c = r.config
            print(f"{r.id:>4}  {r.name[:28]:<28} {r.status:<9} {str(r.corpus_name or '-')[:12]:<12} "
                  f"{model_text(c)[:10]:<10} {c.get('hidden_size', '-'):>4} {c.get('seq_length', '-'):>4} "
                  f"{c.get('learning_rate', 0):>7.3g} "
                  f"{str(c.get('optimizer', '-')):<7} {r.iterations:>7} {_f(r.train_loss):>7} {_f(r.val_loss):>7}  "
                  f"{_when(r.created_at)}")
        return 0
    if cmd == "show":
        r = store.get(args.id)
        if args.json:
            d = r.to_dict()
            d["val_history"] = store.val_metrics(r.id)
            print(json.dumps(d))
            return 0
        rows = [("name", r.name), ("status", r.status), ("source", r.source), ("tags", ", ".join(r.tags) or "-"),
                ("corpus", f"{r.corpus_name} (fingerprint {r.corpus_fingerprint}, vocabulary {r.vocab_size})"),
                ("started", _when(r.created_at)), ("finished", _when(r.finished_at)),
                ("iterations", r.iterations), ("characters", f"{r.chars_trained:,}"),
                ("train seconds", _f(r.train_seconds, ".2f")), ("duration", _f(r.duration, ".2f")),
                ("chars/s", _f(r.chars_per_sec, ",.0f")), ("train loss", _f(r.train_loss)),
                ("val loss", _f(r.val_loss)), ("checkpoint", r.checkpoint or "-"), ("message", r.message or "-")]
        print(f"run #{r.id}")
        for k, v in rows:
            print(f"  {k:<14} {v}")
        print("  config")
        for k, v in sorted(r.config.items()):
            print(f"    {k:<18} {v}")
        return 0
    if cmd == "export":
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as f:
                n = store.export_csv(args.id, f)
            print(f"wrote {n} rows to {args.out}", file=sys.stderr)
        else:
            store.export_csv(args.id, sys.stdout)
        return 0
    if cmd == "rename":
        store.rename(args.id, args.name)
        return 0
    if cmd == "tag":
        store.set_tags(args.id, args.tags)
        return 0
    if cmd == "delete":
        for run_id in args.ids:
            store.delete(run_id)
        print(f"deleted {len(args.ids)} run(s)")
        return 0
    raise ValueError(f"unknown action {cmd!r}")
