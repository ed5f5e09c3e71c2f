"""The plain-Python twin of the engine's random streams, written from the specification:
xoshiro256++ per path seeded by splitmix64 of (seed, path), uniforms in (0, 1], and the 256-layer
ziggurat normal (engine/kernels/rng.py implements the same)."""

from __future__ import annotations

import math

from engine.kernels.rng import ZIG_F, ZIG_X

MASK = (1 << 64) - 1


GOLDEN = 0x9E3779B97F4A7C15


ZIG_V = 0.00492867323399  # area of each ziggurat layer (Marsaglia & Tsang 2000, 256 layers)


def py_splitmix64(x: int) -> int:
    """splitmix64 output for state x (the state is advanced by the golden gamma first)."""
    z = (x + GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class PyStream:
    """xoshiro256++ (Blackman & Vigna) with the engine's seeding, uniform and ziggurat."""

    def __init__(self, seed: int, path: int) -> None:
        x = py_splitmix64(seed) ^ ((path * 0xD1B54A32D192ED03) & MASK)
        self.s = []
        for _ in range(4):
            x = (x + GOLDEN) & MASK
            self.s.append(py_splitmix64(x))
        self.slow = {"wedge": 0, "tail": 0}
        # the engine's tables, which test_ziggurat_tables checks against the recursion below: a
        # rebuilt table may differ in the last bit, and the stream is compared bit for bit
        self.x, self.f = [float(t) for t in ZIG_X], [float(t) for t in ZIG_F]

    @staticmethod
    def _tables() -> tuple[list[float], list[float]]:
        """Layer edges: x[0] = v / f(r) (base strip with the tail), x[1] = r, each layer of area
        v: v = x[i-1] (f(x[i]) - f(x[i-1])), so x[i] = sqrt(-2 ln(v / x[i-1] + f(x[i-1]))); x[256] = 0."""
        r, v = 3.6541528853610088, ZIG_V
        x = [v / math.exp(-0.5 * r * r), r]
        for _ in range(2, 256):
            x.append(math.sqrt(-2.0 * math.log(v / x[-1] + math.exp(-0.5 * x[-1] ** 2))))
        x.append(0.0)
        return x, [math.exp(-0.5 * t * t) for t in x]

    @staticmethod
    def _rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & MASK

    def next_u64(self) -> int:
        s0, s1, s2, s3 = self.s
        result = (self._rotl((s0 + s3) & MASK, 23) + s0) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self) -> float:
        """(0, 1]: the top 53 bits plus one, times 2^-53."""
        return ((self.next_u64() >> 11) + 1) * 2.0**-53

    def normal(self) -> float:
        """Ziggurat: layer from the low 8 bits, sign from bit 8, magnitude from the top 53 bits."""
        while True:
            u = self.next_u64()
            layer = u & 0xFF
            sign = -1.0 if (u >> 8) & 1 else 1.0
            x = (u >> 11) * 2.0**-53 * self.x[layer]
            if x < self.x[layer + 1]:
                return sign * x
            if layer == 0:  # tail beyond r (Marsaglia's exponential method)
                self.slow["tail"] += 1
                while True:
                    xt = -math.log(self.uniform()) / self.x[1]
                    yt = -math.log(self.uniform())
                    if 2.0 * yt > xt * xt:
                        return sign * (self.x[1] + xt)
            self.slow["wedge"] += 1
            f_hi = self.f[layer + 1]
            if f_hi + self.uniform() * (self.f[layer] - f_hi) < math.exp(-0.5 * x * x):
                return sign * x

    def step(self, merton: bool) -> dict[str, float]:
        """One step's draws in the documented order."""
        out = {"z_price": self.normal(), "z_funding": self.normal()}
        if merton:
            out["u_jump"] = self.uniform()
            out["z_jump"] = self.normal()
        out["u_bridge"] = self.uniform()
        return out
