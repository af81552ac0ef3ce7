"""Paper Fig. 6: regression on a quadratic teacher y(x) = (β·x/√D)² with a committee net of output
scale α, GD vs LM over α (EXPERIMENTS.md §5), from `pgdx sweep jobs/fig6_polynomial.toml`.

Four panels in a row: (1) GD and (2) LM train (solid) and test (dotted) loss normalised by its
value at step 0; (3) GD and (4) LM subspace error e_k of one wave number (default the highest,
k = m/2) along the ray through the first training input ("train", solid) and through (1, …, 1)
("test", dashed) from /subspace. One colour per α, dark (small α) to light; α is the run's
model.output_scale. Everything is log-x and log-y; like the other log-x figures the initial state
(step 0) is not drawn, though it is what the losses are normalised by.

The table gives per run the final normalised losses, the first recorded step at which each falls
below 0.1 (−1: never) and the grokking gap between them (test step − train step, −1 unless both
fell). Runs of other tasks or optimizers in the folder are skipped; several seeds of one
(optimizer, α) are all drawn, the lowest seed labelled, the others thin.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import mnist  # noqa: E402
from .measures import first_crossing  # noqa: E402
from .panels import NAMES as OPTIMIZER_NAMES  # noqa: E402
from .panels import Table, empty_note, save, seed_lines, seed_text, sequential_colours, swept_runs  # noqa: E402
from .runs import Run, RunFileError, load_task_runs, positive_setting  # noqa: E402

TASK = "polynomial_teacher"
COLUMNS = ("sgd", "lm")
NAMES = {**OPTIMIZER_NAMES, "sgd": "GD"}  # full batch: the paper's GD
LOSSES = ("train_loss", "test_loss")
THRESHOLD = 0.1  # a loss has "fallen" once below this fraction of its initial value
RAY_STYLE = "--"  # the paper's Fig. 6: the (1, …, 1) ray dashed


def alpha(run: Run) -> float:
    """α = model.output_scale, the factor on the committee's output (pgdx's default 1)."""
    return positive_setting(run, "model.output_scale", 1.0, "the output scale α")


def normalised(run: Run, quantity: str):
    """(steps, loss / loss at the first record, step 0); an unfinished file may be one row short."""
    steps, values = run.history["step"], np.asarray(run.history[quantity], dtype=float)
    rows = min(len(steps), len(values))
    if not rows:
        return steps[:0], values[:0]
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero initial loss gives inf / NaN, not a warning
        return steps[:rows], values[:rows] / values[0]


def first_below(steps, values, threshold: float = THRESHOLD) -> int:
    """The first recorded step with value < threshold, −1 if none."""
    step = first_crossing(steps, values, threshold, below=True)
    return -1 if step is None else step


def check(run: Run, mode: int | None) -> tuple[int, int]:
    """(column of /subspace/fft_error_*, its wave number k): the last mode (k = m/2) by default;
    a file without what the figure draws is a RunFileError naming it."""
    if "test_loss" not in run.history:
        raise RunFileError(f"{run.path}: dataset /history/test_loss is missing (fig6 needs it)")
    subspace = run.subspace
    if subspace is None:
        raise RunFileError(f"{run.path}: group /subspace is missing (fig6 needs the ray spectra "
                           f"/subspace/fft_error_train and /subspace/fft_error_test)")
    modes = subspace.modes
    if not modes.size:
        raise RunFileError(f"{run.path}: /subspace/modes is empty")
    columns = np.flatnonzero(modes == mode) if mode is not None else [modes.size - 1]
    if not len(columns):
        raise RunFileError(f"{run.path}: mode {mode} is not in /subspace/modes ({modes[0]} … {modes[-1]})")
    return int(columns[0]), int(modes[columns[0]])


def table_row(run: Run) -> dict:
    steps, train = normalised(run, "train_loss")
    test_steps, test = normalised(run, "test_loss")
    train_step, test_step = first_below(steps, train), first_below(test_steps, test)
    return {"optimizer": NAMES.get(run.optimizer, run.optimizer), "α": alpha(run), "seed": run.attrs.get("seed", "?"),
            "status": run.status, "final train loss / initial": float(train[-1]) if train.size else float("nan"),
            "final test loss / initial": float(test[-1]) if test.size else float("nan"),
            f"train < {THRESHOLD:g} step": train_step, f"test < {THRESHOLD:g} step": test_step,
            "grokking gap": test_step - train_step if min(train_step, test_step) >= 0 else -1,
            "file": run.path.name}


def loss_panel(ax, run: Run, colour, label: str, style: dict) -> None:
    for quantity, ls in zip(LOSSES, (mnist.TRAIN, mnist.TEST)):
        ax.plot(*mnist.positive(*normalised(run, quantity)), color=colour, ls=ls,
                label=label if quantity == "train_loss" else "_" + label, **style)


def ray_panel(ax, run: Run, column: int, colour, label: str, style: dict) -> None:
    subspace = run.subspace
    for error, ls in ((subspace.train, mnist.TRAIN), (subspace.test, RAY_STYLE)):
        ax.plot(*mnist.positive(subspace.step, error[:, column]), color=colour, ls=ls,
                label=label if ls == mnist.TRAIN else "_" + label, **style)


def figure(runs: list[Run], mode: int | None = None):
    """Fig. 6 of the given polynomial_teacher runs (GD and LM): (figure, Table with one row per run)."""
    runs = swept_runs(runs, TASK, COLUMNS, alpha)
    columns = {r.path: check(r, mode) for r in runs}  # every file checked before drawing
    colours = sequential_colours(alpha(r) for r in runs)
    fig, axes = plt.subplots(1, 2 * len(COLUMNS), figsize=(19, 4.8), sharex=True, layout="constrained")
    loss_axes, ray_axes = axes[:len(COLUMNS)], axes[len(COLUMNS):]
    for group in (loss_axes, ray_axes):
        for ax in group[1:]:
            ax.sharey(group[0])
    for optimizer, loss_ax, ray_ax in zip(COLUMNS, loss_axes, ray_axes):
        chosen = [r for r in runs if r.optimizer == optimizer]
        for run, label, style in seed_lines(chosen, alpha, lambda r: f"α = {alpha(r):g}{mnist.status_text(r)}"):
            loss_panel(loss_ax, run, colours[alpha(run)], label, style)
            ray_panel(ray_ax, run, columns[run.path][0], colours[alpha(run)], label, style)
        name = NAMES[optimizer]
        wave_numbers = ", ".join(str(k) for k in sorted({columns[r.path][1] for r in chosen}))
        mnist.log_x(loss_ax, "loss / loss at step 0", f"{name}: train and test loss")
        mnist.log_x(ray_ax, f"subspace error $e_k$, k = {wave_numbers or '?'}", f"{name}: error along two rays")
        for ax in (loss_ax, ray_ax):
            ax.set_yscale("log")
            ax.set_xlabel("iteration")
        if chosen:
            mnist.legend(loss_ax, loc="lower left")
            mnist.legend(ray_ax, loc="lower left", test_style=RAY_STYLE, names=("train ray", "test ray (1, …, 1)"))
        else:
            for ax in (loss_ax, ray_ax):
                empty_note(ax, f"no {name} runs")
    fig.suptitle(r"Fig. 6: quadratic teacher $y = (\beta\cdot x/\sqrt{D})^2$, committee net with output scale α, "
                 f"GD vs LM ({seed_text(runs)})")
    return fig, Table(table_row(r) for r in runs)


def draw(run_dir, out_png, mode: int | None = None) -> Table:
    """Fig. 6 of the polynomial_teacher runs in `run_dir` to `out_png`; returns one row per run."""
    runs = load_task_runs(run_dir, "fig6", TASK, lambda r: r.optimizer in COLUMNS,
                          "polynomial_teacher runs of GD (sgd) or LM")
    fig, table = figure(runs, mode)
    save(fig, out_png)
    return table
