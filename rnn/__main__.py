"""`python -m rnn ...`: see rnn/cli.py."""

import sys

from .cli import main

# Guarded: multiprocessing (sweep workers) may import this module again as __mp_main__.
if __name__ == "__main__":
    sys.exit(main())
