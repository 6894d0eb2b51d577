"""`python -m llambo_replay.cli`."""

import sys

from llambo_replay.cli import main

sys.exit(main())
