"""What the MNIST grokking figures (Figs. 1, 7, 10, 13; EXPERIMENTS.md §6, and Fig. 11, §8) share: picking
the usable runs out of a folder, one colour per optimizer setting in all of them, accuracy curves on a
log-x axis, and the grokking numbers of the run files' root attributes for the printed tables.
Figs. 5 and 6 (modular addition, polynomial teacher) draw their train/test curves with it too.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
from matplotlib.lines import Line2D  # noqa: E402
import numpy as np  # noqa: E402

from .panels import NAMES, ORDER, last  # noqa: E402
from .runs import Run, RunFileError, load_task_runs  # noqa: E402

TASK = "mnist"
SWITCH = "lm+adamw"
# Fixed per setting, so that a reader comparing Figs. 1, 7 and 13 sees AdamW in the same colour everywhere.
# GGN (Fig. 11, cross-entropy) is the LM of a non-quadratic loss, the paper's "LM": LM's colour.
COLOURS = {"sgd": "C0", "adam": "C1", "adamw": "C2", "lm": "C3", SWITCH: "C4", "gn": "C5", "ggn": "C3"}
ACCURACY = ("train_acc", "test_acc")
TRAIN, TEST = "-", ":"  # the paper's convention: train solid, test dotted
GROKKING = ("train_acc_99_step", "test_acc_threshold_step", "grokking_delay")


def setting_name(optimizer: str) -> str:
    """'AdamW', 'LM', 'LM→AdamW' for the switching runs' 'lm+adamw'."""
    return "→".join(NAMES.get(part, part) for part in optimizer.split("+"))


def setting_order(optimizer: str):
    """Paper order SGD, Adam, AdamW, LM, then the switching settings, then anything else."""
    parts = optimizer.split("+")
    return (len(parts), [ORDER.get(p, len(ORDER)) for p in parts], optimizer)


def colour(optimizer: str) -> str:
    return COLOURS.get(optimizer, "C7")


def check(run: Run, also=()) -> Run:
    """A classification run (mnist, modular_mlp) without accuracies (or the `also` datasets) cannot
    be drawn: name it rather than leave a panel empty."""
    for name in ACCURACY + ("step",) + tuple(also):
        if name not in run.history:
            raise RunFileError(f"{run.path}: dataset /history/{name} is missing (a {run.task} run needs it)")
    return run


def same_alpha(run: Run, alpha: float) -> bool:
    return math.isclose(run.alpha, alpha, rel_tol=1e-9)


def load_mnist(run_dir, figure: str, wanted, what: str) -> list[Run]:
    """Every MNIST run of `run_dir`, provided wanted(run) holds for one of them at least (other
    tasks skipped, see runs.load_task_runs), each checked to have its accuracies."""
    return [check(r) for r in load_task_runs(run_dir, figure, TASK, wanted, what)]


def positive(steps, values):
    """(steps, values) without step 0: a log-x axis cannot show the initial state, and matplotlib
    would drop it silently. An unfinished file may be one row short somewhere."""
    steps, values = np.asarray(steps), np.asarray(values, dtype=float)
    rows = min(len(steps), len(values))
    keep = steps[:rows] > 0
    return steps[:rows][keep], values[:rows][keep]


def curve(ax, run: Run, quantity: str, floor=None, **style):
    """The quantity vs step; with a floor, values below it are drawn at it (log-y "machine zero")."""
    steps, values = positive(run.history["step"], run.history[quantity])
    return ax.plot(steps, values if floor is None else np.maximum(values, floor), **style)[0]


def accuracy(ax, run: Run, colour, label: str, lw=1.5, alpha=1.0, quantities=ACCURACY, test_style=TEST,
             floor=None) -> None:
    """Train (solid, labelled) and test (dotted, unlabelled: one legend entry per run) curves."""
    train, test = quantities
    curve(ax, run, train, floor, color=colour, ls=TRAIN, lw=lw, alpha=alpha, label=label)
    curve(ax, run, test, floor, color=colour, ls=test_style, lw=lw, alpha=alpha, label="_" + label)


def style_handles(test_style=TEST, names=("train", "test")) -> list:
    """Legend entries for the line styles, not drawn on the axes (so line counts stay per run);
    grey, so that they do not read as the black switch line."""
    return [Line2D([], [], color="0.5", ls=style, label=name) for style, name in zip((TRAIN, test_style), names)]


def switch_lines(axes, steps) -> None:
    """A black vertical line at each switch step, labelled on the first axes only."""
    for step in sorted(steps):
        for i, ax in enumerate(axes):
            ax.axvline(step, color="k", lw=1.3, zorder=1.5, label="_switch" if i else f"switch (step {step})")


def log_x(ax, ylabel: str, title: str) -> None:
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)


def accuracy_axes(ax, title: str) -> None:
    log_x(ax, "accuracy", title)
    ax.set_ylim(0.0, 1.02)


def legend(ax, handles=None, test_style=TEST, names=("train", "test"), **kwargs) -> None:
    """The runs' labelled lines plus the train/test line-style entries."""
    lines, _ = ax.get_legend_handles_labels()
    ax.legend(handles=(handles if handles is not None else lines) + style_handles(test_style, names),
              fontsize="small", framealpha=0.85, **kwargs)


def switch_step(run: Run) -> int:
    """The step after which the second optimizer takes over (/phases/end_step[0])."""
    end = run.phases_end_step
    if end.size < 2:
        raise RunFileError(f"{run.path}: optimizer {run.optimizer!r} switches, but /phases/end_step is "
                           f"{end.tolist()} (expected one end step per phase)")
    return int(end[0])


def status_text(run: Run) -> str:
    """' [diverged]' for a run that did not complete: it must not pass for a finished one."""
    return "" if run.status == "completed" else f" [{run.status}]"


def final(run: Run, name: str) -> float:
    """final_train_acc / final_test_acc (final_train_loss, …) from the root attributes, else the last
    recorded value."""
    value = run.attrs.get(f"final_{name}")
    return float(value) if isinstance(value, (int, float)) else last(run.history.get(name, []))


def grokked(run: Run) -> bool:
    """Both thresholds reached, so grokking_delay is a delay (−1 otherwise, which a real delay
    could be too: test threshold one step before train 99 %)."""
    reached = [run.attrs.get(name) for name in GROKKING[:2]]
    return all(isinstance(v, int) and v >= 0 for v in reached) and isinstance(run.attrs.get("grokking_delay"), int)


def grokking(run: Run) -> dict:
    """The root attributes train_acc_99_step, test_acc_threshold_step, grokking_delay (−1: not
    reached; None: the file predates them)."""
    return {name: run.attrs.get(name) for name in GROKKING}


def finals(run: Run, quantities=ACCURACY) -> dict:
    """Final values of one run as the table columns read them: 'final train acc', 'final test loss', …"""
    return {f"final {name.replace('_', ' ')}": final(run, name) for name in quantities}


def run_row(run: Run, quantities=ACCURACY) -> dict:
    """Final accuracies (or other `quantities`, e.g. also the losses) and grokking numbers of one
    run, as the table columns read them: 'final train acc', …, 'grokking_delay'."""
    return finals(run, quantities) | grokking(run)
