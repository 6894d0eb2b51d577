"""`python -m llambo_replay`: the same command line as `llambo-replay`."""

from llambo_replay.cli import main

raise SystemExit(main())
