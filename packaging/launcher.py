"""Entry point of the frozen app: the same ``fieldnote`` command as from source."""

import multiprocessing
import sys

from desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless unless something starts a process
    sys.exit(main())
