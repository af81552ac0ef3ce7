"""Paper Fig. 1: grokking on MNIST with an MSE loss, 784-250-10 ReLU, every initial parameter
scaled by α (EXPERIMENTS.md §6), from a folder of runs such as `pgdx sweep jobs/fig1_mnist.toml`.

Top-left: train (solid) and test (dotted) accuracy vs step of every optimizer at α = 8; top-right:
their weight norms ‖θ‖₂. Bottom: AdamW (left) and LM (right) accuracy for every α in the folder,
α from dark to light. Steps are log-x (the runs record on a log schedule), so step 0 is not drawn.

Runs of other tasks and optimizer-switching runs (Fig. 7) in the folder are skipped. Several
seeds of one (optimizer, α) are all drawn: the lowest seed labelled, the others thin.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from . import mnist  # noqa: E402
from .panels import Table, empty_note, first_of_each, save, seed_text, sequential_colours  # noqa: E402
from .runs import Run  # noqa: E402

ALPHA = 8.0
BOTTOM = ("adamw", "lm")  # the optimizers whose α sweep the bottom row shows, left to right


def run_order(run: Run):
    return (mnist.setting_order(run.optimizer), run.alpha, run.attrs.get("seed", 0), run.name)


def alpha_text(alpha: float) -> str:
    return f"α = {alpha:g}"


def table_row(run: Run) -> dict:
    return {"optimizer": mnist.setting_name(run.optimizer), "α": run.alpha, "seed": run.attrs.get("seed", "?"),
            "status": run.status, **mnist.run_row(run), "file": run.path.name}


def top_row(acc_ax, norm_ax, runs: list[Run], alpha: float) -> None:
    """Every optimizer at α: accuracies left, weight norm right, one colour per optimizer."""
    chosen = [r for r in runs if mnist.same_alpha(r, alpha)]
    for run, first in first_of_each(chosen, lambda r: r.optimizer):
        colour = mnist.colour(run.optimizer)
        label = ("" if first else "_") + mnist.setting_name(run.optimizer) + mnist.status_text(run)
        lw = 1.6 if first else 0.7
        mnist.accuracy(acc_ax, run, colour, label, lw=lw, alpha=1.0 if first else 0.6)
        mnist.curve(norm_ax, run, "weight_norm", color=colour, lw=lw, alpha=1.0 if first else 0.6, label=label)
    mnist.accuracy_axes(acc_ax, f"accuracy, {alpha_text(alpha)}")
    mnist.log_x(norm_ax, r"weight norm $\Vert\theta\Vert_2$", f"weight norm, {alpha_text(alpha)}")
    if chosen:
        mnist.legend(acc_ax, loc="best")
        norm_ax.legend(fontsize="small", framealpha=0.85)
    else:
        for ax in (acc_ax, norm_ax):
            empty_note(ax, f"no runs at {alpha_text(alpha)}")


def alpha_panel(ax, runs: list[Run], optimizer: str) -> None:
    """One optimizer's accuracies for every α, coloured along a sequential colour map."""
    chosen = [r for r in runs if r.optimizer == optimizer]
    colours = sequential_colours(r.alpha for r in chosen)
    for run, first in first_of_each(chosen, lambda r: r.alpha):
        label = ("" if first else "_") + alpha_text(run.alpha) + mnist.status_text(run)
        mnist.accuracy(ax, run, colours[run.alpha], label, lw=1.5 if first else 0.7, alpha=1.0 if first else 0.6)
    mnist.accuracy_axes(ax, f"{mnist.setting_name(optimizer)}: accuracy vs α")
    if chosen:
        mnist.legend(ax, loc="best")
    else:
        empty_note(ax, f"no {mnist.setting_name(optimizer)} runs")


def figure(runs: list[Run], alpha: float = ALPHA):
    """Fig. 1 of the given MNIST single-optimizer runs: (figure, Table with one row per run)."""
    runs = sorted(runs, key=run_order)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), layout="constrained")
    top_row(axes[0][0], axes[0][1], runs, alpha)
    for ax, optimizer in zip(axes[1], BOTTOM):
        alpha_panel(ax, runs, optimizer)
    fig.suptitle(f"Fig. 1: MNIST grokking with MSE, 784-250-10 ReLU, initial parameters × α ({seed_text(runs)})")
    return fig, Table(table_row(r) for r in runs)


def draw(run_dir, out_png, alpha: float = ALPHA) -> Table:
    """Fig. 1 of the MNIST runs in `run_dir` to `out_png`; returns one row of final values per run."""
    runs = mnist.load_mnist(run_dir, "fig1", lambda r: not r.is_switching, "single-optimizer mnist runs")
    fig, table = figure([r for r in runs if not r.is_switching], alpha)
    save(fig, out_png)
    return table
