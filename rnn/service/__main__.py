"""A worker process for live models (started by rnn.service.worker.ProcessWorker, not by hand)."""

import sys

from .worker import main

if __name__ == "__main__":
    main(sys.argv[1:])
