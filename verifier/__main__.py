"""``python -m verifier``: see :mod:`verifier.cli`."""

import sys

from verifier.cli import main

sys.exit(main())
