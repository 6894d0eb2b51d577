"""Every committed result reproduces on any CPU: nothing that decides is recomputed in floating point
that a CPU can round differently (docs/exact.md)."""

from __future__ import annotations

import os
import platform
import random
import re
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from scipy.stats import norm

from llambo_replay.cli.fidelity import NUMPY_SWITCH, avx512_features
from llambo_replay.experiments.evaluations import components
from llambo_replay.experiments.results import check, exactness
from llambo_replay.llambo import exact
from llambo_replay.llambo.surrogate import expected_improvement

REPO = Path(__file__).resolve().parents[2]


def _native_kernel() -> str:
    from threadpoolctl import threadpool_info

    return next((i.get("architecture") or "" for i in threadpool_info() if i["internal_api"] == "openblas"), "")


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() != "x86_64", reason="OpenBLAS's x86-64 kernel names")
def test_every_committed_result_reproduces_as_on_an_amd_cpu_without_avx512():
    """numpy's AVX-512 paths off and OpenBLAS on another kernel (the one place the tests set it: to test)."""
    kernel = "Prescott" if _native_kernel() in ("Zen", "Haswell") else "Zen"
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    if avx512_features() and NUMPY_SWITCH not in os.environ:  # (already set: the suite runs without AVX-512)
        env[NUMPY_SWITCH] = " ".join(avx512_features())
    result = subprocess.run(
        [sys.executable, "-m", "llambo_replay.cli", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    reproduced, total = re.match(r"(\d+)/(\d+) committed results reproduce", result.stdout.splitlines()[-1]).groups()
    assert reproduced == total
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from llambo_replay.bayesmark.numerics import environment; "
            "e = environment(); print(e['simd'], e['blas'][0]['kernel'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    simd, used_kernel = probe.stdout.split()
    assert used_kernel == kernel and "AVX512" not in simd  # the switches took effect


def test_exact_logarithms_and_powers_are_the_correctly_rounded_doubles():
    draw = random.Random(0)
    reference = mpmath.MPContext()
    reference.prec = 200
    for _ in range(2000):
        x, y = 10 ** draw.uniform(-8, 4), draw.uniform(-8, 4)
        assert exact.log10(x) == float(reference.log10(reference.mpf(x)))
        assert exact.pow10(y) == float(reference.power(10, reference.mpf(y)))
        assert exact.exp(-y) == float(reference.exp(reference.mpf(-y)))
    assert exact.log10(1e-4) == -4.0 and exact.pow10(-4.0) == 1e-4


def test_expected_improvement_is_the_closed_form_computed_exactly():
    mean, std = np.array([0.2, 0.5, 0.9, 0.7]), np.array([0.1, 0.0, 0.3, 1e-12])
    got = expected_improvement(mean, std, 0.6, lower_is_better=False)
    delta = mean - 0.6
    with np.errstate(divide="ignore", invalid="ignore"):
        scipy_ei = np.where(std > 0, delta * norm.cdf(delta / std) + std * norm.pdf(delta / std), np.maximum(delta, 0))
    np.testing.assert_allclose(got, scipy_ei, rtol=1e-14, atol=1e-300)
    assert got[1] == 0.0  # no spread, below the incumbent


@pytest.mark.slow
def test_a_replay_of_the_component_evaluation_never_runs_tpe(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a replay must read TPE's proposals, not compute them")

    monkeypatch.setattr(components, "tpe_proposals", refuse)
    checked = check.check_run(REPO / "results/components/components.manifest.json", REPO / "cassettes", tmp_path, None)
    assert checked.ok, checked.detail


def test_docs_exact_md_lists_the_values_the_code_lists():
    text = (REPO / "docs/exact.md").read_text()
    assert exactness.markdown_table() in text
    assert all(value.how in exactness.HOW for value in exactness.VALUES)
    assert exactness.METRIC_RTOL == 2e-3
