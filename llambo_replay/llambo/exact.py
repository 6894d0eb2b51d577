"""Logarithms and powers that give the same double on every CPU.

numpy's `log10` and `power` run SVML's AVX-512 code on one machine and libm's on another, and glibc's
`log` and `pow` pick an FMA variant where the CPU has one; the answers differ in the last bit for some
inputs (`10 ** np.log10(0.0002051)` is 0.0002050999999999999 with AVX-512, 0.00020510000000000008
without). Where such a value decides something — the point LLAMBO evaluates after its warp to log10
and back, a configuration drawn at random, a number written into a prompt — it is computed here:
in decimal arithmetic (libmpdec: integers only, no CPU dispatch), rounded to 40 significant digits
and then to the nearest double. Every machine gets the same bits, and almost always the correctly
rounded result (a 40-digit value lies on a binary rounding boundary only by astronomical chance).
Expected improvement, whose argmax picks the point LLAMBO evaluates, needs the normal CDF, which
decimal lacks: mpmath computes it the same way (integers only) at 80 bits.
"""

from __future__ import annotations

import decimal

import mpmath

_CONTEXT = decimal.Context(
    prec=40, rounding=decimal.ROUND_HALF_EVEN, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[]
)  # no traps: NaN and ±inf come back as floats
_TEN = decimal.Decimal(10)
_MP = mpmath.MPContext()
_MP.prec = 80  # bits; the result is rounded to a double once, at the end


def log10(x: float) -> float:
    """log10(x); exact for powers of ten (log10(1e-4) == -4.0), NaN below zero."""
    return float(_CONTEXT.log10(decimal.Decimal(float(x))))


def pow10(y: float) -> float:
    """10 ** y."""
    return float(_CONTEXT.power(_TEN, decimal.Decimal(float(y))))


def ln(x: float) -> float:
    """The natural logarithm."""
    return float(_CONTEXT.ln(decimal.Decimal(float(x))))


def exp(y: float) -> float:
    """e ** y."""
    return float(_CONTEXT.exp(decimal.Decimal(float(y))))


def gaussian_expected_improvement(delta: float, std: float) -> float:
    """E[max(Y - best, 0)] for Y ~ N(best + delta, std²), std > 0: delta·Φ(delta/std) + std·φ(delta/std)."""
    d, s = _MP.mpf(float(delta)), _MP.mpf(float(std))
    z = d / s
    return float(d * _MP.ncdf(z) + s * _MP.npdf(z))
