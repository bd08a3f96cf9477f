"""bench.json, bench.md and the log-log scaling plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

PEERS = ("jax", "torch")


def _us(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    us = seconds * 1e6
    return f"{us:,.1f}" if us < 100 else f"{us:,.0f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    torch_missing = env["torch"] is None
    torch_note = "PyTorch is not installed (pip install '.[bench]'): its column is empty."
    parts = [
        "# manualbp bench" + (" (--quick)" if results["quick"] else ""),
        "",
        f"Python {env['python']}, NumPy {env['numpy']} ({env['blas']['numpy']}), JAX {env['jax']}, "
        f"PyTorch {env['torch'] or 'not installed'} ({env['blas'].get('torch', '')}), {env['cores']} cores. "
        "Every figure below comes from this one run; times are the best of interleaved rounds.",
        "",
    ]
    if torch_missing:
        parts += [torch_note, ""]

    size = results["matmul_size"]
    peaks = results["matmul_gflops"]
    parts += [
        f"## Plain matmul, {size}×{size} by {size}×{size} (GFLOP/s)",
        "",
        "NumPy calls OpenBLAS, PyTorch MKL; JAX is `jax.jit(jnp.matmul)` (XLA's CPU dot).",
        "",
        _table(
            ["library", "float64", "float32"],
            [
                [
                    name,
                    *(
                        ("—" if peaks[name][d] is None else f"{peaks[name][d]:.0f}")
                        for d in ("float64", "float32")
                    ),
                ]
                for name in ("numpy", "torch", "jax")
            ],
        ),
        "",
        "## Training step (forward + cost + backward + update), µs per step",
        "",
        "manualbp = the step `manualbp.train` runs; kernels = the unchecked kernels (new arrays each call); "
        "checked = the public functions, every input checked every call. BLAS floor = the step's own "
        "matrix products alone. Ratios are manualbp's time over the other's (lower is better). "
        "JAX steps are dispatched asynchronously, as in a JAX training loop, and the clock stops "
        "when the last one has finished; manualbp returns J as a float every step.",
        "",
    ]
    rows = []
    for r in results["steps"]:
        s = r["seconds"]
        rows.append(
            [
                r["network"],
                r["dtype"],
                r["hidden"],
                {"fused": "fused", "numpy": "NumPy"}.get(r.get("arrangement", ""), "?"),
                _us(s["manualbp"]),
                _us(s["jax"]),
                _us(s.get("torch")) if not torch_missing else "not installed",
                _ratio(r["ratio_jax"]),
                _ratio(r["ratio_torch"]),
                _us(s["blas_floor"]),
                _ratio(r["ratio_floor"]),
                _ratio(r.get("blas_ratio_torch")),
                f"{r['gflops']:.1f}",
                f"{100 * r['gflops'] / results['matmul_gflops']['numpy'][r['dtype']]:.0f}%",
            ]
        )
    parts += [
        _table(
            [
                "network",
                "dtype",
                "g",
                "step",
                "manualbp",
                "JAX jit",
                "PyTorch",
                "/ JAX",
                "/ PyTorch",
                "BLAS floor",
                "/ floor",
                "floor: NumPy / PyTorch",
                "GFLOP/s",
                "of peak",
            ],
            rows,
        ),
        "",
        "GFLOP/s counts only the products the step executes (no W[1]ᵀ dZ[1]); 'of peak' is against "
        "NumPy's plain matmul above, in the same dtype. 'floor: NumPy / PyTorch' times the very same "
        "products (same memory, shapes and transposes) by NumPy's OpenBLAS and by PyTorch's MKL: the "
        "part of '/ PyTorch' that is the BLAS library, not the step.",
        "",
        "How the step earns it (manualbp/_step.py): inputs are checked once per `train` call; every "
        "buffer (Z[l]/A[l], dZ[l]) is allocated once and reused; W[l], b[l] are views into one flat "
        "θ; α/m multiplies dZ[L] once, so the products give α dW[l] directly; A[l] = g(Z[l]) is "
        "computed in place and g'(Z[l]) is evaluated from A[l]; db[l] is a product with a column of "
        "ones; the output layer computes T = log(1 + e^(-Z[L])) once for both A[L] and J. Column "
        "'step': the *fused* step (networks whose largest product has ≥ 2^18 multiply-adds) calls "
        "NumPy's own OpenBLAS with β = 1, so that W[l] = W[l] - (α/m) dZ[l] A[l-1]ᵀ is one product "
        "(no dW[l] buffer, no update pass) and Z[l] = W[l] A[l-1] + b[l] adds onto a broadcast b[l]; "
        "the *NumPy* step (small networks, or a NumPy built on another BLAS) computes α dθ with "
        "np.matmul and updates θ = θ - α dθ in one subtraction. The kernels column below is the "
        "step as it was first written (one kernel call per equation, new arrays every call).",
        "",
        "## Validation cost, µs per step",
        "",
        _table(
            [
                "network",
                "dtype",
                "g",
                "train step (checks once per train)",
                "kernels, unchecked (before)",
                "checked public API",
                "checked / step",
            ],
            [
                [
                    r["network"],
                    r["dtype"],
                    r["hidden"],
                    _us(r["seconds"]["manualbp"]),
                    _us(r["seconds"]["manualbp_kernels"]),
                    _us(r["seconds"]["manualbp_checked"]),
                    _ratio(r["checks_overhead"]),
                ]
                for r in results["steps"]
            ],
        ),
        "",
        "`train` checks its inputs once per call, so its steps pay nothing for validation.",
        "",
        "## Memory (float64, relu; tracemalloc)",
        "",
        _table(
            [
                "network",
                "params + grads + caches",
                "first step peak",
                "ratio",
                "later step peak",
                "kernels step peak (ratio)",
                "growth",
            ],
            [
                [
                    r["network"],
                    f"{r['reference_total']:,} B",
                    f"{r['first_step_peak']:,} B",
                    f"{r['first_step_ratio']:.2f}",
                    f"{r['later_step_peak']:,} B",
                    f"{r['kernels_step_peak']:,} B ({r['kernels_step_ratio']:.2f})",
                    f"{r['growth_bytes']:,} B over {r['growth_steps']:,} steps",
                ]
                for r in results["memory"]
            ],
        ),
        "",
        "First step: building the step's buffers (its own copy of the parameters, the gradient and "
        "cache buffers) and running one step. Later step: what one more step allocates (NumPy's "
        "iterator buffers, at most 64 kB, and small Python objects). On tiny and small, whose "
        "arrays take 0.8 and 16 kB, about 8 kB of Python objects (array views, lists) and ~5 kB "
        "of iterator buffers dominate the peak. The yardstick counts a gradient for every "
        "parameter; the fused step (cat, medium, large) never stores one, since its products "
        "update W[l] and b[l] directly, and needs one dA scratch of the largest hidden layer "
        "instead: hence ratios below 1.",
        "",
        "## Scaling (float64, relu): log-log slope of time per step",
        "",
    ]
    scaling = results["scaling"]
    parts.append(
        _table(
            ["against", "expected", "manualbp", "JAX jit", "PyTorch"],
            [
                [
                    axis,
                    str(curve["expected_slope"]),
                    *(_ratio(curve["slopes"].get(name)) for name in ("manualbp", "jax", "torch")),
                ]
                for axis, curve in scaling.items()
            ],
        )
    )
    parts += ["", "Slopes are fitted on the upper half of each sweep; see scaling.png.", ""]
    for axis, curve in scaling.items():
        header = [axis, *curve["seconds"]]
        rows = [
            [str(v), *(_us(curve["seconds"][name][i]) for name in curve["seconds"])]
            for i, v in enumerate(curve["values"])
        ]
        parts += [f"µs per step against {axis} ({curve['network']}):", "", _table(header, rows), ""]

    sweep = results.get("sweep") or {}
    parts += ["## Verification sweep throughput", ""]
    if sweep.get("available"):
        parts += [
            f"`manualbp verify` (default: {sweep['architectures']} architectures, each in float64 and "
            f"float32, by reverse mode, forward mode and finite differences; "
            f"{sweep.get('reported_checks') or '?'} checks, verdict {sweep.get('verdict')}): "
            f"{sweep['seconds']:.2f} s wall clock, start-up included: "
            f"**{sweep['architectures_per_second']:.1f} architectures/s** "
            f"({2 * sweep['architectures_per_second']:.1f} architecture-dtype runs/s). "
            f"Marginal rate, start-up left out: "
            f"{_ratio(sweep.get('marginal_architectures_per_second'))} architectures/s; fixed cost "
            f"≈ {sweep.get('fixed_seconds', 0):.2f} s (from a {sweep['short_run']['architectures']}-"
            f"architecture run in {sweep['short_run']['seconds']:.2f} s). Exit code {sweep['exit_code']}.",
            "",
        ]
        printed = sweep.get("verify_printed")
        if printed:
            parts += [
                "Its own timing line (it counts each architecture once per dtype and leaves out the "
                f"process start): `{printed['line']}`",
                "",
            ]
    else:
        parts += [f"Not measured: {sweep.get('reason', 'unavailable')}.", ""]

    parts += [
        "## Targets",
        "",
        _table(
            ["target", "measured", "limit", "met", "worst case"],
            [
                [
                    t["target"],
                    "—" if t["value"] is None else f"{t['value']:,.2f}",
                    f"{t['limit']:g}",
                    {True: "yes", False: "**no**", None: "—"}[t["met"]],
                    t.get("where", ""),
                ]
                for t in results["targets"]
            ],
        ),
        "",
        f"Run time: {results['seconds']:.0f} s.",
        "",
    ]
    return "\n".join(parts)


def plot_scaling(results: dict[str, Any], path: Path) -> None:
    from matplotlib.figure import Figure

    scaling = results["scaling"]
    figure = Figure(figsize=(10, 4), layout="constrained")
    axes = figure.subplots(1, len(scaling))
    for ax, (axis, curve) in zip(np.atleast_1d(axes), scaling.items(), strict=True):
        xs = np.asarray(curve["values"], dtype=float)
        for name, seconds in curve["seconds"].items():
            ax.loglog(xs, np.asarray(seconds) * 1e6, "o-", label=name)
        # reference line of the expected slope through manualbp's last point
        last = curve["seconds"]["manualbp"][-1] * 1e6
        ax.loglog(
            xs,
            last * (xs / xs[-1]) ** curve["expected_slope"],
            "k--",
            lw=1,
            label=f"slope {curve['expected_slope']}",
        )
        ax.set_xlabel("m (examples)" if axis == "m" else "width n")
        ax.set_ylabel("µs per step")
        ax.set_title(f"against {axis}: {curve['network']}, float64, relu", fontsize=10)
        ax.legend()
    figure.savefig(path, dpi=110)


def write_reports(results: dict[str, Any], out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2, sort_keys=True, default=float) + "\n")
    text = render_markdown(results)
    (out / "bench.md").write_text(text)
    plot_scaling(results, out / "scaling.png")
    return text
