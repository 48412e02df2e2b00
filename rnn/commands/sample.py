"""`python -m rnn sample CKPT`: generate text from a checkpoint."""

from __future__ import annotations

from ..checkpoint import load_checkpoint
from ..sample import sample


def add_parser(sub):
    p = sub.add_parser("sample", help="sample text from a checkpoint", description="Generate text from a checkpoint.")
    p.add_argument("checkpoint", metavar="CKPT")
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--temperature", type=float, default=1.0, help="> 0; 0 means greedy (argmax)")
    p.add_argument("--prime", default="", help="text to warm up the hidden state with")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cold", action="store_true", help="start from h = 0 instead of the run's carried state")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.length < 0:
        raise ValueError("--length must be >= 0")
    trainer = load_checkpoint(args.checkpoint)
    h = None if args.cold else trainer.h[0]
    text = sample(trainer.params, trainer.vocab, args.length, temperature=args.temperature, top_k=args.top_k,
                  prime=args.prime, seed=args.seed, h=h)
    print(args.prime + text)
    return 0
