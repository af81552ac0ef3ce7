"""Paper Fig. 10 (Appendix B.3.3): the MSE losses of a pure AdamW run (left) and a pure LM run
(right) on MNIST at α = 8 (EXPERIMENTS.md §6), from the Fig. 1 job folder (`pgdx sweep
jobs/fig1_mnist.toml`).

Each panel: train (solid) and test (dotted) MSE vs step, log-x and log-y, with the loss axes of the
two panels shared so that "LM's losses are lower than AdamW's" can be read off; the test accuracy on
a twin right axis (linear, thin dash-dotted), so that the loss is seen to keep falling while the
accuracy stays flat (MSE is a poor proxy for classification). Several seeds of a setting are one
line each, labelled with the seed; a run that did not complete has its status in the legend. Other
optimizers, α, switching runs (Fig. 7) and other tasks in the folder are skipped.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
from matplotlib.lines import Line2D  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from . import measures, mnist  # noqa: E402
from .fig1_mnist import ALPHA  # noqa: E402
from .panels import Table, save, seed_text, sequential_colours  # noqa: E402
from .runs import Run, RunFileError  # noqa: E402

PANELS = ("adamw", "lm")  # left to right
LOSSES = ("train_loss", "test_loss")
FIT_ACCURACY = 0.99  # "fitted": pgdx's train-accuracy threshold of the grokking rule
ACCURACY_STYLE = dict(ls="-.", lw=0.9, alpha=0.8)  # thin and dash-dotted: not mistaken for a loss curve


def pure_at(runs: list[Run], optimizer: str, alpha: float) -> list[Run]:
    """The single-optimizer runs of `optimizer` at α, by seed."""
    return sorted((r for r in runs if r.optimizer == optimizer and not r.is_switching and mnist.same_alpha(r, alpha)),
                  key=lambda r: (r.attrs.get("seed", 0), r.name))


def missing_text(runs: list[Run], optimizer: str, alpha: float) -> str:
    """'no LM run at α = 8 (LM runs at α = 1, 2)' or 'no LM run at α = 8 (no LM runs at all)'."""
    name = mnist.setting_name(optimizer)
    alphas = sorted({r.alpha for r in runs if r.optimizer == optimizer and not r.is_switching})
    where = f"{name} runs at α = {', '.join(f'{a:g}' for a in alphas)}" if alphas else f"no {name} runs at all"
    return f"no {name} run at α = {alpha:g} ({where})"


def fall_after_fit(run: Run):
    """(fit step, train loss at the last step / train loss at the fit); the fit is the first recorded
    step with train accuracy ≥ 0.99; ('-', '-') for a run that never got there."""
    steps = run.history["step"]
    fit = measures.first_crossing(steps, run.history["train_acc"], FIT_ACCURACY)
    if fit is None:
        return "-", "-"
    return fit, measures.factor_between(steps, run.history["train_loss"], fit, steps[-1])


def table_row(run: Run) -> dict:
    fit, fall = fall_after_fit(run)
    return {"optimizer": mnist.setting_name(run.optimizer), "α": run.alpha, "seed": run.attrs.get("seed", "?"),
            "status": run.status, **mnist.finals(run, LOSSES + ("test_acc",)), "fit step": fit,
            "train loss fall after fit": fall, "file": run.path.name}


def seed_colours(runs: list[Run]) -> dict:
    """{seed: colour} when there are several seeds: one colour per seed, the same in both panels, so
    that a seed can be followed from AdamW to LM. One seed: {}, drawn in its optimizer's Fig. 1 colour."""
    seeds = {r.attrs.get("seed", 0) for r in runs}
    return sequential_colours(seeds) if len(seeds) > 1 else {}


def panel(loss_ax, runs: list[Run], optimizer: str, alpha: float, colours: dict):
    """One optimizer's losses (left axis) and test accuracies (twin right axis); returns the twin."""
    acc_ax = loss_ax.twinx()
    for run in runs:
        colour = colours.get(run.attrs.get("seed", 0), mnist.colour(optimizer))
        label = f"seed {run.attrs.get('seed', '?')}{mnist.status_text(run)}"
        mnist.accuracy(loss_ax, run, colour, label, quantities=LOSSES)
        mnist.curve(acc_ax, run, "test_acc", color=colour, label="_test acc " + label, **ACCURACY_STYLE)
    mnist.log_x(loss_ax, "MSE loss", f"{mnist.setting_name(optimizer)}, α = {alpha:g}")
    loss_ax.set_yscale("log")
    acc_ax.set_ylim(0.0, 1.02)
    acc_ax.set_ylabel("test accuracy")
    # The losses are what the figure is about: their axes go on top (a twin is drawn over its parent),
    # so that the legend is placed clear of the loss curves and the accuracy line passes under it.
    loss_ax.set_zorder(acc_ax.get_zorder() + 1)
    loss_ax.patch.set_visible(False)
    lines, _ = loss_ax.get_legend_handles_labels()
    accuracy_entry = Line2D([], [], color="0.5", label="test accuracy (right)", **ACCURACY_STYLE)
    loss_ax.legend(handles=lines + mnist.style_handles(names=("train MSE", "test MSE")) + [accuracy_entry],
                   fontsize="small", framealpha=0.85, loc="best")
    return acc_ax


def figure(runs: list[Run], alpha: float = ALPHA):
    """Fig. 10 of the pure AdamW and LM runs at α among `runs`: (figure, Table, AdamW rows first)."""
    chosen = {optimizer: pure_at(runs, optimizer, alpha) for optimizer in PANELS}
    drawn = [r for optimizer in PANELS for r in chosen[optimizer]]
    colours = seed_colours(drawn)
    fig, loss_axes = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained", sharey=True)
    for ax, optimizer in zip(loss_axes, PANELS):
        panel(ax, chosen[optimizer], optimizer, alpha, colours)
    loss_axes[1].tick_params(labelleft=True)  # sharey hides them; the right panel is read on its own too
    fig.suptitle(f"Fig. 10: MNIST MSE losses and test accuracy, AdamW vs LM, α = {alpha:g} ({seed_text(drawn)})")
    return fig, Table(table_row(r) for r in drawn)


def draw(run_dir, out_png, alpha: float = ALPHA) -> Table:
    """Fig. 10 of the runs in `run_dir` at α to `out_png`; returns the final values of the runs drawn."""
    runs = mnist.load_mnist(run_dir, "fig10", lambda r: r.optimizer in PANELS and not r.is_switching,
                            "pure AdamW and LM mnist runs")
    missing = [missing_text(runs, optimizer, alpha) for optimizer in PANELS if not pure_at(runs, optimizer, alpha)]
    if missing:
        raise RunFileError(f"{run_dir}: fig10 needs a pure AdamW and a pure LM mnist run at α = {alpha:g}, "
                           f"found {'; '.join(missing)}")
    fig, table = figure(runs, alpha)
    save(fig, out_png)
    return table
