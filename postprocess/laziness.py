"""Laziness metrics over training (run.ntk_every > 0; docs/diagnostics.md): kernel drift
‖K_t − K_0‖_F/‖K_0‖_F and distance from initialisation ‖θ − θ₀‖/‖θ₀‖, plus the linearisation gap and
the kernel–target alignment, one curve per α (model.init_scale) and optimizer.

`python3 -m postprocess lazy RUN_DIR -o OUT.png`
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from .panels import NAMES, Table, last, save, sequential_colours, sort_key  # noqa: E402
from .runs import Run, RunFileError, load_runs  # noqa: E402

PANELS = (("kernel_drift", "kernel drift $\\|K_t - K_0\\|_F / \\|K_0\\|_F$", "log"),
          ("dist_from_init", "distance from init $\\|\\theta - \\theta_0\\| / \\|\\theta_0\\|$", "log"),
          ("linearization_gap", "linearisation gap $\\|f_{lin} - f\\| / \\|f - f_0\\|$", "log"),
          ("kernel_alignment", "kernel–target alignment $y^T K y / (\\|K\\|_F \\|y\\|^2)$", "linear"))
STYLES = ("-", "--", ":", "-.")


def lazy_runs(run_dir) -> list[Run]:
    runs = load_runs(run_dir)
    chosen = sorted((r for r in runs if r.lazy is not None), key=lambda r: (r.alpha, sort_key(r)))
    if not chosen:
        raise RunFileError(" ".join(f"{run_dir}: no /lazy data in {len(runs)} run file(s) (record it with "
                                    "--set run.ntk_every=K)".split()))
    return chosen


def label(run: Run, several_optimizers: bool) -> str:
    text = f"α = {run.alpha:g}"
    return f"{NAMES.get(run.optimizer, run.optimizer)}, {text}" if several_optimizers else text


def figure(runs: list[Run]):
    optimizers = sorted({r.optimizer for r in runs}, key=lambda o: sort_key_of(runs, o))
    colours = sequential_colours(r.alpha for r in runs)
    fig, axes = plt.subplots(1, len(PANELS), figsize=(4.2 * len(PANELS), 3.8), layout="constrained")
    for ax, (name, ylabel, scale) in zip(axes, PANELS):
        for run in runs:
            style = STYLES[optimizers.index(run.optimizer) % len(STYLES)]
            lazy = run.lazy
            steps, values = lazy["step"], lazy[name]
            positive = values > 0 if scale == "log" else values == values
            ax.plot(steps[positive], values[positive], style, color=colours[run.alpha], lw=1.5,
                    label=label(run, len(optimizers) > 1))
        ax.set_yscale(scale)
        ax.set_xlabel("iteration")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize=8, framealpha=0.8)
    fig.suptitle(f"Laziness on the probe set ({runs[0].task}): smaller drift and distance = lazier")
    return fig


def sort_key_of(runs: list[Run], optimizer: str):
    return min(sort_key(r) for r in runs if r.optimizer == optimizer)


def draw(run_dir, out_png) -> Table:
    """Save the figure; returns the final metrics per run (printed by the CLI)."""
    runs = lazy_runs(run_dir)
    save(figure(runs), out_png)
    return Table({"run": r.name, "optimizer": r.optimizer, "alpha": r.alpha,
                  **{name: last(r.lazy[name]) for name, _, _ in PANELS}} for r in runs)
