"""`python -m summarizer`: the command line in `summarizer.cli`."""

import os
import sys

from summarizer.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # The reader went away (`| head`): no traceback, and no second error when Python flushes
        # stdout at exit (the recipe in the `signal` module's documentation).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
