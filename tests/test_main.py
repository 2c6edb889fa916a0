"""`python -m jaxkl` (the tour) and `python -m jaxkl bench` run and print what they promise."""

import importlib.util
import json
import subprocess
import sys


def _run(*args):
    return subprocess.run([sys.executable, "-m", "jaxkl", *args], capture_output=True, text=True, timeout=600)


def test_tour_prints_backend_and_scipy_examples():
    r = _run()
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "backend: cpu" in out or "backend: gpu" in out or "backend: tpu" in out
    assert out.count("0.1642520335") >= 3  # jaxkl.entropy, jaxkl.kl and scipy agree
    assert "sum = 1.83317594" in out
    assert "KL(P || P) = 0.0" in out
    assert "KL(Normal(0, 1) || Normal(1, 2)) = 0.44314718" in out  # log 2 + 2/8 - 1/2
    f64 = out.split("float64 value")[1].split()[0]
    f32 = out.split("jaxkl, float32")[1].split()[0]
    assert f64 == f32, (f64, f32)  # the float32 closed form keeps all printed digits


def test_bench_json_has_the_rows_and_ratios():
    r = _run("bench", "--tokens", "8", "--vocab", "256", "--pairs", "1000", "--repeats", "2", "--smoke", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    titles = [row["row"] for row in data["rows"]]
    assert any(t.startswith("kl, probabilities") for t in titles)
    assert any(t.startswith("kl_logits") and "forward+backward" in t for t in titles)
    for name in (
        "Normal‖Normal",
        "Dirichlet‖Dirichlet",
        "MultivariateNormal‖",
        "LowRankMultivariateNormal‖",
        "Monte-Carlo KL",
        "knn_kl",
        "quadrature KL",
    ):
        assert any(name in t for t in titles), (name, titles)
    for row in data["rows"]:
        assert row["ratio_to_baseline"][row["baseline"]] == 1.0
        assert all(v > 0 for v in row["times_ms"].values())
    assert {"jax", "backend", "devices"} <= set(data["header"])
    # Every peer is either timed or listed as skipped with what would install it.
    by_title = {row["row"]: row for row in data["rows"]}
    normal = next(row for t, row in by_title.items() if t.startswith("Normal‖Normal"))
    for peer, module in (
        ("numpyro", "numpyro"),
        ("TFP-on-JAX", "tensorflow_probability"),
        ("distrax", "distrax"),
        ("torch", "torch"),
    ):
        timed = any(k.startswith(peer) for k in normal["times_ms"])
        skipped = any(s.startswith(peer) and "pip install" in s for s in normal["skipped"])
        installed = importlib.util.find_spec(module) is not None
        assert (timed, skipped) == (installed, not installed), (peer, normal)
    kl_row = next(row for t, row in by_title.items() if t.startswith("kl, probabilities"))
    assert "scipy.special.rel_entr(...).sum (numpy)" in kl_row["eager"]
    # The progress bar goes to stderr, one line per row when stderr is not a terminal.
    assert r.stderr.count(f"/{len(titles)}  ") == len(titles) + 1, r.stderr
