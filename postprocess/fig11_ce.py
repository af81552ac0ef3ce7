"""Paper Fig. 11 (Appendix C): MNIST with softmax cross-entropy, 784-200-200-10 ReLU, every initial
parameter × α = 100, 200 training digits, weight decay 0.01, SGD / Adam / GGN (EXPERIMENTS.md §8),
from `pgdx sweep jobs/fig11_mnist_ce.toml`.

One column per optimizer, SGD, Adam, GGN: top row train (solid) and test (dashed) accuracy, middle
row train and test cross-entropy loss (log-y, the row sharing its y axis, so that the optimizers
compare at a glance). Bottom row, across the columns: the weight norms ‖θ‖₂ of all of them in their
colours (once the training loss is zero only weight decay acts, so the norms shrink alike, and the
test accuracy jumps as they do). Steps are log-x (the runs record on a log schedule), so step 0 is
not drawn. Once the training loss is "machine zero" it is exactly 0 or a round-off value such as
1e-300, which log-y cannot draw sensibly (0 vanishes, 1e-300 stretches the axis over 300 decades):
losses are drawn at no less than FLOOR = 1e-16, and the panel names the step each first falls below
it. The weight norm is log-y: under Adam it falls from ~2 300 to ~7, over two decades.

Only mnist runs with loss.kind = 'cross_entropy' and one of the three optimizers are drawn: MSE
runs (Figs. 1, 7), other tasks and other optimizers in the folder are skipped. Several runs of one
optimizer (seeds) are all drawn: the lowest seed labelled, the others thin.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from . import mnist  # noqa: E402
from .panels import NAMES, Table, empty_note, save, seed_lines, seed_text, swept_runs  # noqa: E402
from .runs import Run  # noqa: E402

COLUMNS = ("sgd", "adam", "ggn")
LOSS_KIND = "cross_entropy"
LOSSES = ("train_loss", "test_loss")
TEST_STYLE = "--"  # EXPERIMENTS.md §8 / the paper's Fig. 11: test dashed
FLOOR = 1e-16  # losses below are drawn here: "machine zero" on the panel's scale
WANTED = f"mnist runs with loss.kind = {LOSS_KIND!r} of SGD, Adam or GGN"


def loss_kind(run: Run) -> str:
    return run.config.get("loss", {}).get("kind", "mse")  # pgdx's default


def is_fig11_run(run: Run) -> bool:
    return run.task == mnist.TASK and loss_kind(run) == LOSS_KIND and run.optimizer in COLUMNS


def values_text(runs: list[Run], value) -> str:
    """The distinct value(run) of the runs, in run order: '0.001' or '0.001, 0.01'."""
    return ", ".join(dict.fromkeys(str(value(r)) for r in runs)) or "?"


def setting(run: Run, key: str, default="?"):
    """config `section.name` formatted for a title (numbers as %g)."""
    section, name = key.split(".")
    value = run.config.get(section, {}).get(name, default)
    return f"{value:g}" if isinstance(value, float) else value


def architecture(run: Run) -> str:
    return "-".join(map(str, run.config.get("model", {}).get("layers", ["?"])))


def table_row(run: Run) -> dict:
    return {"optimizer": mnist.setting_name(run.optimizer), "seed": run.attrs.get("seed", "?"),
            "status": run.status, **mnist.run_row(run, mnist.ACCURACY + LOSSES), "file": run.path.name}


def floor_note(ax, runs: list[Run]) -> None:
    """'train loss < 1e-16 from step 812' for each loss that falls below FLOOR, where it is drawn."""
    notes = []
    for run in runs:
        for quantity in LOSSES:
            steps, values = mnist.positive(run.history["step"], run.history[quantity])
            below = steps[values < FLOOR]
            if below.size:
                who = f" (seed {run.attrs.get('seed', '?')})" if len(runs) > 1 else ""
                notes.append(f"{quantity.replace('_', ' ')}{who} < {FLOOR:g} from step {below[0]}, drawn at {FLOOR:g}")
    if notes:
        ax.text(0.97, 0.07, "\n".join(notes), transform=ax.transAxes, fontsize="small", color="0.3", va="bottom",
                ha="right")


def column(acc_ax, loss_ax, norm_ax, runs: list[Run], optimizer: str) -> None:
    """One optimizer's accuracies (top), losses (middle) and its weight norms (in the shared bottom panel)."""
    colour = mnist.colour(optimizer)
    for run, label, style in seed_lines(runs, lambda r: r.optimizer,
                                        lambda r: mnist.setting_name(r.optimizer) + mnist.status_text(r)):
        mnist.accuracy(acc_ax, run, colour, label, test_style=TEST_STYLE, **style)
        mnist.accuracy(loss_ax, run, colour, label, quantities=LOSSES, test_style=TEST_STYLE, floor=FLOOR, **style)
        mnist.curve(norm_ax, run, "weight_norm", color=colour, label=label, **style)
    title = NAMES[optimizer] + (f" (η = {values_text(runs, lambda r: setting(r, 'optimizer.lr'))})" if runs else "")
    mnist.accuracy_axes(acc_ax, title)
    mnist.log_x(loss_ax, "cross-entropy loss", "")
    loss_ax.set_yscale("log")
    loss_ax.set_ylim(bottom=FLOOR / 10)
    acc_ax.set_xlabel("")  # the shared x axis is labelled below
    if runs:
        mnist.legend(acc_ax, loc="best", test_style=TEST_STYLE)
        mnist.legend(loss_ax, handles=[], loc="center left", test_style=TEST_STYLE, names=("train loss", "test loss"))
        floor_note(loss_ax, runs)
    else:
        for ax in (acc_ax, loss_ax):
            empty_note(ax, f"no {NAMES[optimizer]} runs")


def figure(runs: list[Run]):
    """Fig. 11 of the cross-entropy MNIST runs among `runs`: (figure, Table with one row per run)."""
    runs = [mnist.check(r, LOSSES + ("weight_norm",))
            for r in swept_runs([r for r in runs if is_fig11_run(r)], mnist.TASK, COLUMNS, lambda r: r.alpha)]
    fig, axes = plt.subplot_mosaic([[f"acc {o}" for o in COLUMNS], [f"loss {o}" for o in COLUMNS],
                                    ["norm"] * len(COLUMNS)], figsize=(14, 11), layout="constrained")
    norm_ax = axes["norm"]
    # One step range everywhere (GGN may run fewer steps), but every panel keeps its tick labels:
    # the wide weight-norm panel's ticks do not line up with the columns'.
    for name, ax in axes.items():
        if name != "norm":
            ax.sharex(norm_ax)
        if name.startswith("loss") and name != f"loss {COLUMNS[0]}":
            ax.sharey(axes[f"loss {COLUMNS[0]}"])
    for optimizer in COLUMNS:
        column(axes[f"acc {optimizer}"], axes[f"loss {optimizer}"], norm_ax,
               [r for r in runs if r.optimizer == optimizer], optimizer)
    mnist.log_x(norm_ax, r"weight norm $\Vert\theta\Vert_2$",
                f"weight norm (weight decay {values_text(runs, lambda r: setting(r, 'optimizer.weight_decay', 0.0))})")
    norm_ax.set_yscale("log")
    norm_ax.legend(fontsize="small", framealpha=0.85)
    fig.suptitle(f"Fig. 11: MNIST with softmax cross-entropy, {values_text(runs, architecture)} ReLU, "
                 f"α = {values_text(runs, lambda r: f'{r.alpha:g}')}, "
                 f"{values_text(runs, lambda r: r.attrs.get('num_train', '?'))} training digits ({seed_text(runs)})")
    return fig, Table(table_row(r) for r in runs)


def draw(run_dir, out_png) -> Table:
    """Fig. 11 of the cross-entropy MNIST runs in `run_dir` to `out_png`; returns one row of final
    values per run."""
    runs = mnist.load_mnist(run_dir, "fig11", is_fig11_run, WANTED)
    fig, table = figure(runs)
    save(fig, out_png)
    return table
