"""``python -m task_bank``: see :mod:`task_bank.cli`."""

import sys

from task_bank.cli import main

if __name__ == "__main__":
    sys.exit(main())
