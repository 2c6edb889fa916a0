"""``python -m jaxkl``: a short tour. ``python -m jaxkl bench``: the benchmark table.

``python -m jaxkl pairs``: the Markdown table of closed-form pairs; ``--write FILE ...``
rewrites it between the ``<!-- pairs-table:start -->`` and ``<!-- pairs-table:end -->``
lines of each file, ``--check FILE ...`` exits with status 1 where it is stale.
"""

from __future__ import annotations

import sys


def tour() -> int:
    import jax
    import numpy as np
    import scipy.special
    import scipy.stats

    jax.config.update("jax_enable_x64", True)  # scipy computes in float64; so does the tour

    import jaxkl

    print(f"jaxkl {jaxkl.__version__} on JAX {jax.__version__}")
    print(f"backend: {jax.default_backend()}; devices: {', '.join(str(d) for d in jax.devices())}")
    print("(this tour enables jax_enable_x64 so that jaxkl and scipy both compute in float64)")

    print("\n1. A fair die P against a loaded die Q (scipy.stats.entropy's example)")
    P = [1 / 6] * 6
    Q = [0.4, 0.1, 0.1, 0.1, 0.1, 0.2]
    print(f"   P = {np.round(P, 4).tolist()}")
    print(f"   Q = {Q}")
    print(f"   jaxkl.entropy(P, Q) = {float(jaxkl.entropy(P, Q)):.10f}")
    print(f"   jaxkl.kl(P, Q)      = {float(jaxkl.kl(P, Q)):.10f}")
    print(f"   scipy.stats.entropy = {scipy.stats.entropy(P, Q):.10f}")

    print("\n2. Element-wise rel_entr (scipy.special.rel_entr's example)")
    p = [0.23, 0.78, 0.91, 0.86]
    q = [0.12, 0.57, 0.45, 0.34]
    mine: np.ndarray | float  # an array here, a float in part 5
    mine = np.asarray(jaxkl.rel_entr(p, q))
    ref = scipy.special.rel_entr(p, q)
    print(f"   p = {p}\n   q = {q}")
    print(f"   jaxkl.rel_entr(p, q) = {np.array2string(mine, precision=8)}  sum = {mine.sum():.8f}")
    print(f"   scipy rel_entr       = {np.array2string(ref, precision=8)}  sum = {ref.sum():.8f}")

    print("\n3. KL(P, P) = 0, and KL is not symmetric")
    print(f"   KL(P || P) = {float(jaxkl.kl(P, P))}")
    print(f"   KL(P || Q) = {float(jaxkl.kl(P, Q)):.8f}   KL(Q || P) = {float(jaxkl.kl(Q, P)):.8f}")
    print(f"   scipy:       {scipy.stats.entropy(P, Q):.8f}                {scipy.stats.entropy(Q, P):.8f}")

    print("\n4. In bits, and from logits")
    print(f"   KL(P || Q) = {float(jaxkl.kl(P, Q, base=2)):.8f} bits")
    print(f"   kl_logits(log P, log Q) = {float(jaxkl.kl_logits(np.log(P), np.log(Q))):.8f} nats")

    print("\n5. Closed forms between distributions (jaxkl.distributions, jaxkl.kl_divergence)")
    import jax.numpy as jnp
    from jax.scipy.special import digamma, gammaln

    from .distributions import Gamma, Normal

    print(f"   KL(Normal(0, 1) || Normal(1, 2)) = {float(jaxkl.kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))):.8f}")
    print(f"   {len(jaxkl.registered_pairs())} registered pairs; jaxkl.registered_pairs() lists them")
    a1, b1, a2, b2 = (np.float32(v) for v in (3.0e4, 2.0e4, 3.0003e4, 2.0001e4))
    exact = float(jaxkl.kl_divergence(Gamma(np.float64(a1), np.float64(b1)), Gamma(np.float64(a2), np.float64(b2))))
    mine = float(jaxkl.kl_divergence(Gamma(a1, b1), Gamma(a2, b2)))
    a1j, b1j, a2j, b2j = (jnp.asarray(v) for v in (a1, b1, a2, b2))
    textbook = float(
        (a1j - a2j) * digamma(a1j) - gammaln(a1j) + gammaln(a2j) + a2j * jnp.log(b1j / b2j) + a1j * (b2j - b1j) / b1j
    )
    print("   near-identical Gamma(3e4, 2e4) vs Gamma(3.0003e4, 2.0001e4), float32 inputs:")
    print(f"     float64 value          {exact:.6e}")
    print(f"     jaxkl, float32         {mine:.6e}")
    print(f"     textbook formula, f32  {textbook:.6e}")
    print("\nRun `python -m jaxkl bench` for the benchmark table.")
    return 0


def pairs(argv: list[str]) -> int:
    from ._pairs_table import COMMAND, check_files, pairs_table, write_files

    if not argv:
        print(pairs_table())
        return 0
    if argv[0] in ("--write", "--check") and len(argv) > 1:
        if argv[0] == "--write":
            write_files(argv[1:])
            return 0
        stale = check_files(argv[1:])
        for path in stale:
            print(f"{path}: the table of closed-form pairs is stale; regenerate it with `{COMMAND}`", file=sys.stderr)
        return 1 if stale else 0
    print("usage: python -m jaxkl pairs [--write FILE ... | --check FILE ...]", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    if argv and argv[0] == "pairs":
        return pairs(argv[1:])
    if argv and argv[0] == "bench":
        from ._bench import main as bench_main

        return bench_main(argv[1:])
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv:
        print(
            f"unknown command {argv[0]!r}; try `python -m jaxkl`, `python -m jaxkl bench` or `python -m jaxkl pairs`",
            file=sys.stderr,
        )
        return 2
    return tour()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
