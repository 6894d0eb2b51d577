"""A worker's entry point: `<environment's python> -I serve.py <optimiser module>`.

Run as a file in isolated mode (no user site, no PYTHON* variables), so it puts the folder above this one
on the path itself and imports its optimiser as `workers.<module>`, which must define FACTORY and
DISTRIBUTIONS (the distributions whose versions the recording keeps).
"""

import sys
from importlib import import_module
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from workers.protocol import serve

    module = import_module(f"workers.{sys.argv[1]}")
    sys.exit(serve(module.FACTORY, module.DISTRIBUTIONS))
