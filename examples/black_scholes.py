"""Black-Scholes option pricing with ``xlaish.special.erf``: two outputs
(call and put prices) from one fused kernel.

Run: ``python examples/black_scholes.py``.
"""
import math

import numpy as np

import xlaish as xl
from xlaish.special import erf

R, VOL = 0.02, 0.30


@xl.jit
def black_scholes(S, K, T):
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (R + 0.5 * VOL * VOL) * T) / (VOL * sqrt_t)
    d2 = d1 - VOL * sqrt_t
    n1 = 0.5 + 0.5 * erf(d1 / math.sqrt(2))
    n2 = 0.5 + 0.5 * erf(d2 / math.sqrt(2))
    disc = K * np.exp(-R * T)
    return S * n1 - disc * n2, disc * (1 - n2) - S * (1 - n1)


def main(n=100_000):
    rng = np.random.default_rng(0)
    S = rng.uniform(10, 100, n).astype(np.float32)
    K = rng.uniform(10, 100, n).astype(np.float32)
    T = rng.uniform(0.25, 2.0, n).astype(np.float32)
    call, put = black_scholes(S, K, T)

    # check one option against the scalar formula (math.erf, float64)
    s, k, t = float(S[0]), float(K[0]), float(T[0])
    d1 = (math.log(s / k) + (R + 0.5 * VOL ** 2) * t) / (VOL * math.sqrt(t))
    d2 = d1 - VOL * math.sqrt(t)
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    c_ref = s * cdf(d1) - k * math.exp(-R * t) * cdf(d2)
    print(f"option 0: S={s:.2f} K={k:.2f} T={t:.2f}: call {call[0]:.4f} (scalar formula {c_ref:.4f}), "
          f"put {put[0]:.4f}")
    # put-call parity holds for every option
    parity = np.max(np.abs(call - put - (S - K * np.exp(-R * T))))
    print(f"max put-call parity violation: {parity:.2e}")
    print(black_scholes.lower(S, K, T).fusion_report())
    assert abs(call[0] - c_ref) < 1e-3 * max(1.0, c_ref) and parity < 1e-3


if __name__ == "__main__":
    main()
