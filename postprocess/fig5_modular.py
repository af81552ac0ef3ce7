"""Paper Fig. 5: modular addition (a + b) mod P with a bias-free quadratic MLP, SGD vs LM over the
output scale s (EXPERIMENTS.md §4), from `pgdx sweep jobs/fig5_modular_mlp.toml`.

One column per optimizer, SGD left and LM right (the paper's LM inset drawn as a panel of its own,
so that its curves stay readable); top row train (solid) and test (dashed) accuracy vs epoch,
bottom row train and test loss (log-y), rows sharing their y axis. One colour per s, dark (small
s) to light. The files do not hold s as such: the residual is r = (f − y)/s, so s = 1 /
loss.residual_scale of the run's config. Epochs (full batch: one step each) are log-x, like the
other grokking figures: LM's drop within the first epochs and the gap between SGD's train and test
rise stay apart instead of bunching at the left edge, and the initial state (step 0) is not drawn.

Runs of other tasks or optimizers in the folder are skipped. Several seeds of one (optimizer, s)
are all drawn: the lowest seed labelled, the others thin.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from . import mnist  # noqa: E402
from .panels import NAMES, Table, empty_note, save, seed_lines, seed_text, sequential_colours, swept_runs  # noqa: E402
from .runs import Run, load_task_runs, positive_setting  # noqa: E402

TASK = "modular_mlp"
COLUMNS = ("sgd", "lm")
LOSSES = ("train_loss", "test_loss")
TEST_STYLE = "--"  # the paper's Fig. 5: test dashed


def scale(run: Run) -> float:
    """s = 1 / loss.residual_scale (pgdx's default 1), rounded to 12 significant digits: s = 1.8 is
    written as 0.5555555555555556, whose inverse is 1.7999999999999998."""
    return float(f"{1.0 / positive_setting(run, 'loss.residual_scale', 1.0, '1/s'):.12g}")


def table_row(run: Run) -> dict:
    return {"optimizer": NAMES.get(run.optimizer, run.optimizer), "s": scale(run), "seed": run.attrs.get("seed", "?"),
            "status": run.status, **mnist.run_row(run), "file": run.path.name}


def column(acc_ax, loss_ax, runs: list[Run], colours: dict) -> None:
    """One optimizer's accuracies (top) and losses (bottom), one colour per s."""
    for run, label, style in seed_lines(runs, scale, lambda r: f"s = {scale(r):g}{mnist.status_text(r)}"):
        mnist.accuracy(acc_ax, run, colours[scale(run)], label, test_style=TEST_STYLE, **style)
        mnist.accuracy(loss_ax, run, colours[scale(run)], label, quantities=LOSSES, test_style=TEST_STYLE, **style)
    if runs:
        mnist.legend(acc_ax, loc="best", test_style=TEST_STYLE)
        mnist.legend(loss_ax, handles=[], loc="lower left", test_style=TEST_STYLE, names=("train loss", "test loss"))


def figure(runs: list[Run]):
    """Fig. 5 of the given modular_mlp runs (SGD and LM): (figure, Table with one row per run)."""
    runs = [mnist.check(r, LOSSES) for r in swept_runs(runs, TASK, COLUMNS, scale)]
    colours = sequential_colours(scale(r) for r in runs)
    fig, axes = plt.subplots(2, len(COLUMNS), figsize=(12, 8.5), sharex=True, sharey="row", squeeze=False,
                             layout="constrained")
    for c, optimizer in enumerate(COLUMNS):
        acc_ax, loss_ax = axes[0][c], axes[1][c]
        chosen = [r for r in runs if r.optimizer == optimizer]
        column(acc_ax, loss_ax, chosen, colours)
        mnist.accuracy_axes(acc_ax, NAMES[optimizer])
        mnist.log_x(loss_ax, r"loss $\frac{1}{2}\Vert r\Vert^2$, $r = (f - y)/s$", "")
        loss_ax.set_yscale("log")
        acc_ax.set_xlabel("")  # the shared x axis is labelled once, below the losses
        loss_ax.set_xlabel("epoch")
        for ax in (acc_ax, loss_ax):
            if not chosen:
                empty_note(ax, f"no {NAMES[optimizer]} runs")
    moduli = ", ".join(sorted({str(r.config.get("task", {}).get("modulus", "?")) for r in runs}))
    fig.suptitle(f"Fig. 5: modular addition mod {moduli}, quadratic MLP, SGD vs LM over the output scale s "
                 f"({seed_text(runs)})")
    return fig, Table(table_row(r) for r in runs)


def draw(run_dir, out_png) -> Table:
    """Fig. 5 of the modular_mlp runs in `run_dir` to `out_png`; returns one row of final values per run."""
    runs = load_task_runs(run_dir, "fig5", TASK, lambda r: r.optimizer in COLUMNS, "modular_mlp runs of SGD or LM")
    fig, table = figure(runs)
    save(fig, out_png)
    return table
