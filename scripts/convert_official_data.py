"""Convert the official LLAMBO repository's data pickles into the package's `.npz` files, once.

    python scripts/convert_official_data.py OFFICIAL_CHECKOUT

OFFICIAL_CHECKOUT is a work tree of github.com/tennisonliu/LLAMBO (commit 196fe237). This is the only
place in the project that unpickles anything, and only these eight files, by hand: the package reads
the `.npz` files it writes (`np.load(..., allow_pickle=False)`), never a pickle. It also writes
`paper_data/data_checksums.json`: the sha256 of each official pickle and of every array taken from it
(its raw bytes, dtype and shape), which `tests/bayesmark/test_paper_data.py` checks the shipped arrays against.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from pathlib import Path

import numpy as np

PAPER_DATA = Path(__file__).resolve().parent.parent / "llambo_replay" / "bayesmark" / "paper_data"
# official path -> shipped path (relative to paper_data/); the layout of the official repository is kept
FILES = {
    f"bayesmark/data/{name}.pickle": f"bayesmark/data/{name}.npz"
    for name in ("breast", "digits", "iris", "wine", "diabetes")
}
FILES |= {
    f"custom_dataset/{name}.pickle": f"custom_dataset/{name.lower()}.npz"
    for name in ("Griewank", "KTablet", "Rosenbrock")
}
ARRAYS = ("train_x", "train_y", "test_x", "test_y")


def array_digest(array: np.ndarray) -> dict[str, object]:
    contiguous = np.ascontiguousarray(array)
    return {
        "dtype": contiguous.dtype.str,
        "shape": list(contiguous.shape),
        "sha256": hashlib.sha256(contiguous.tobytes()).hexdigest(),
    }


def main(official: Path) -> None:
    checksums: dict[str, object] = {}
    for source, target in FILES.items():
        raw = (official / source).read_bytes()
        data = pickle.loads(raw)  # noqa: S301 (the official files, converted once, by hand)
        arrays = {name: np.asarray(data[name]) for name in ARRAYS}
        (PAPER_DATA / target).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(PAPER_DATA / target, **arrays)
        checksums[target] = {
            "official_file": source,
            "official_sha256": hashlib.sha256(raw).hexdigest(),
            "arrays": {name: array_digest(a) for name, a in arrays.items()},
        }
        print(f"{source} -> paper_data/{target}")
    (PAPER_DATA / "data_checksums.json").write_text(json.dumps(checksums, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python scripts/convert_official_data.py OFFICIAL_CHECKOUT")
    main(Path(sys.argv[1]))
