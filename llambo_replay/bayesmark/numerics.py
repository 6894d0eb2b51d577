"""The numerical environment a number was computed in, and a fixed BLAS thread count.

Training a model is not bit-reproducible across machines: numpy's and scipy's OpenBLAS pick a
kernel for the CPU they find (SkylakeX, Haswell, Prescott, ...), and kernels round differently.
So every recorded evaluation and every recomputed result names its environment: the BLAS
libraries with their kernels, the thread count, numpy's SIMD level and the library versions.
The thread count is pinned to one while computing, so it is never the reason two results differ.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

BLAS_THREADS = 1


@lru_cache(maxsize=1)
def _controller() -> Any:
    # Built on first use, after numpy, scipy and scikit-learn have loaded their libraries.
    import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS)
    import sklearn  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def pinned_threads() -> Iterator[None]:
    """BLAS and OpenMP run on BLAS_THREADS threads inside this block."""
    with _controller().limit(limits=BLAS_THREADS):
        yield


def simd_level() -> str:
    """The most capable of numpy's dispatch targets this CPU supports (e.g. AVX512_SKX, AVX2)."""
    from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    supported = [target for target in __cpu_dispatch__ if __cpu_features__.get(target)]
    return supported[-1] if supported else "baseline"


@lru_cache(maxsize=1)
def environment() -> dict[str, Any]:
    """This process's numerical environment, as stored beside recorded numbers (JSON-ready)."""
    import numpy
    import scipy
    import sklearn

    blas = [
        {
            "library": lib["internal_api"],
            "version": lib.get("version"),
            "kernel": lib.get("architecture"),
            "loaded_by": Path(lib["filepath"]).parent.name.removesuffix(".libs"),
        }
        for lib in _controller().info()
        if lib["user_api"] == "blas"
    ]
    return {
        "blas": sorted(blas, key=lambda b: b["loaded_by"]),
        "threads": BLAS_THREADS,
        "simd": simd_level(),
        "machine": platform.machine(),
        "versions": {"numpy": numpy.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
    }


def describe(env: dict[str, Any] | None) -> str:
    """One phrase naming an environment, for drift reports: 'OpenBLAS Prescott kernel, AVX512_SKX, 1 thread'."""
    if not env:
        return "an unrecorded environment (a format-1 recording)"
    kernels = sorted({f"{b['library']} {b['kernel']}" for b in env.get("blas", [])}) or ["no BLAS"]
    threads = env.get("threads")
    return f"{' + '.join(kernels)} kernel, {env.get('simd')}, {threads} thread{'s' if threads != 1 else ''}"
