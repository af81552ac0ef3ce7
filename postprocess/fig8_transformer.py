"""Paper Fig. 8: modular addition a + b mod p as a token sequence (task modular_addition_sequence,
"a + b =" → the sum's token) learned by a transformer, Adam vs GGN-CG (optimizer 'ggn' with
optimizer.solver = 'cg': CG on the damped GGN system, then an Armijo line search for η).

Top row: left train (solid) and validation (dashed) accuracy vs step; right train and validation
cross-entropy loss (log-y; values below FLOOR = 1e-16, "machine zero", are drawn at it and the panel
names the step, as in Fig. 11); both log-x (the runs record on a log schedule), so step 0 is not
drawn, one colour per optimizer. Bottom row, the GGN runs only: CG iterations per step and the
Armijo-accepted step size η per step (log-y), both log-x. Rows that are no GGN-CG step (step 0:
−1 / NaN) are left out.

Only the task's pure Adam and GGN runs are drawn: phase runs ('ggn+adam', Fig. 12), other
optimizers and other tasks in the folder are skipped. Several runs of one optimizer (seeds) are all
drawn: the lowest seed labelled, the others thin. The table has one row per run: final accuracies
and losses, the first recorded steps at which the validation accuracy reaches VALIDATION = 0.99 and
the train accuracy 1.0 ('-': never), and for GGN the median CG iterations and accepted η per step.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import mnist  # noqa: E402
from .fig11_ce import FLOOR, values_text  # noqa: E402
from .measures import first_crossing  # noqa: E402
from .panels import Table, empty_note, save, seed_lines, seed_text  # noqa: E402
from .runs import Run, load_task_runs  # noqa: E402

TASK = "modular_addition_sequence"
OPTIMIZERS = ("adam", "ggn")
LOSSES = ("train_loss", "test_loss")
CG = ("cg_iterations", "lr")  # what the bottom row draws of a GGN run
TEST_STYLE = "--"  # validation dashed
NAMES_TRAIN_TEST = ("train", "validation")
VALIDATION = 0.99  # the validation accuracy whose first step the table reports
WANTED = f"a {TASK} run of Adam or GGN"
FINALS = {"final train acc": "train_acc", "final validation acc": "test_acc", "final train loss": "train_loss",
          "final validation loss": "test_loss"}


def is_fig8_run(run: Run) -> bool:
    return run.task == TASK and run.optimizer in OPTIMIZERS and not run.is_switching


def modulus(run: Run):
    return run.config.get("task", {}).get("modulus", "?")


def check(run: Run) -> Run:
    """Accuracies and losses for every run, the CG columns for a GGN(-CG) phase too: a missing one
    is named rather than left as an empty panel."""
    cg = run.optimizer == "ggn" or "ggn" in run.optimizer.split("+")
    return mnist.check(run, LOSSES + (CG if cg else ()))


def first_step(run: Run, quantity: str, threshold: float, after: int = -1):
    """The first recorded step > `after` at which the quantity is ≥ threshold, '-' if none."""
    step = first_crossing(run.history["step"], run.history[quantity], threshold, after=after)
    return "-" if step is None else step


def cg_rows(run: Run):
    """(steps, CG iterations, accepted η) of the run's GGN-CG steps: rows with cg_iterations ≥ 0
    (−1 is step 0 or an Adam step) and step > 0 (log-x)."""
    h = run.history
    rows = min(len(h["step"]), len(h["cg_iterations"]), len(h["lr"]))
    steps, iterations, eta = (np.asarray(h[n][:rows]) for n in ("step", "cg_iterations", "lr"))
    keep = (steps > 0) & (iterations >= 0)
    return steps[keep], iterations[keep], eta[keep].astype(float)


def accepted_eta(run: Run):
    """(steps, η) of the GGN-CG steps whose η is a finite positive number (what log-y can draw)."""
    steps, _, eta = cg_rows(run)
    keep = np.isfinite(eta) & (eta > 0)
    return steps[keep], eta[keep]


def median(values):
    return float(np.median(values)) if len(values) else "-"


def final_values(run: Run) -> dict:
    return {column: mnist.final(run, name) for column, name in FINALS.items()}


def table_row(run: Run) -> dict:
    ggn = run.optimizer == "ggn"
    return {"optimizer": mnist.setting_name(run.optimizer), "seed": run.attrs.get("seed", "?"), "status": run.status,
            **final_values(run), f"validation acc ≥ {VALIDATION:g} step": first_step(run, "test_acc", VALIDATION),
            "train acc 1 step": first_step(run, "train_acc", 1.0),
            "median CG iterations": median(cg_rows(run)[1]) if ggn else "-",
            "median η": median(accepted_eta(run)[1]) if ggn else "-", "file": run.path.name}


def floor_note(ax, runs: list[Run]) -> None:
    """'GGN train loss < 1e-16 from step 812, drawn at 1e-16' for each loss that falls below FLOOR
    (with the seed when the optimizer has several runs)."""
    notes = []
    for run in runs:
        several = sum(r.optimizer == run.optimizer for r in runs) > 1
        who = mnist.setting_name(run.optimizer) + (f" (seed {run.attrs.get('seed', '?')})" if several else "")
        for quantity, name in zip(LOSSES, ("train loss", "validation loss")):
            steps, values = mnist.positive(run.history["step"], run.history[quantity])
            below = steps[values < FLOOR]
            if below.size:
                notes.append(f"{who} {name} < {FLOOR:g} from step {below[0]}, drawn at {FLOOR:g}")
    if notes:
        ax.text(0.97, 0.07, "\n".join(notes), transform=ax.transAxes, fontsize="small", color="0.3", va="bottom",
                ha="right")


def curves(acc_ax, loss_ax, run: Run, colour, label: str, **style) -> None:
    """Train (solid) and validation (dashed) accuracy and loss of one run."""
    mnist.accuracy(acc_ax, run, colour, label, test_style=TEST_STYLE, **style)
    mnist.accuracy(loss_ax, run, colour, label, quantities=LOSSES, test_style=TEST_STYLE, floor=FLOOR, **style)


def top_axes(acc_ax, loss_ax, runs: list[Run], loss_legend=()) -> None:
    """Labels, scales and legends of the accuracy and loss panels; `loss_legend`: extra handles."""
    mnist.accuracy_axes(acc_ax, "accuracy")
    mnist.log_x(loss_ax, "cross-entropy loss", "loss")
    loss_ax.set_yscale("log")
    mnist.legend(acc_ax, loc="best", test_style=TEST_STYLE, names=NAMES_TRAIN_TEST)
    mnist.legend(loss_ax, handles=list(loss_legend), loc="lower left", test_style=TEST_STYLE,
                 names=("train loss", "validation loss"))
    floor_note(loss_ax, runs)


def cg_panels(cg_ax, eta_ax, runs: list[Run]) -> None:
    """CG iterations and accepted η per step of the GGN runs (seeds after the first thin)."""
    for run, label, style in seed_lines(runs, lambda r: r.optimizer,
                                        lambda r: mnist.setting_name(r.optimizer) + mnist.status_text(r)):
        steps, iterations, _ = cg_rows(run)
        cg_ax.plot(steps, iterations, color=mnist.colour("ggn"), marker=".", ms=3, label=label, **style)
        eta_ax.plot(*accepted_eta(run), color=mnist.colour("ggn"), marker=".", ms=3, label=label, **style)
    mnist.log_x(cg_ax, "CG iterations", "GGN: CG iterations per step")
    mnist.log_x(eta_ax, "accepted η", "GGN: Armijo-accepted step size η")
    eta_ax.set_yscale("log")
    for ax in (cg_ax, eta_ax):
        if runs:
            ax.legend(fontsize="small", framealpha=0.85)
        else:
            empty_note(ax, "no GGN runs")


def figure(runs: list[Run]):
    """Fig. 8 of the pure Adam and GGN transformer runs among `runs`: (figure, Table, one row per run)."""
    runs = sorted((check(r) for r in runs if is_fig8_run(r)),
                  key=lambda r: (OPTIMIZERS.index(r.optimizer), r.attrs.get("seed", 0), r.name))
    fig, axes = plt.subplot_mosaic([["acc", "loss"], ["cg", "eta"]], figsize=(12, 8), layout="constrained",
                                   gridspec_kw=dict(height_ratios=(3, 1.6)))
    for optimizer in OPTIMIZERS:
        for run, label, style in seed_lines([r for r in runs if r.optimizer == optimizer], lambda r: r.optimizer,
                                            lambda r: mnist.setting_name(r.optimizer) + mnist.status_text(r)):
            curves(axes["acc"], axes["loss"], run, mnist.colour(optimizer), label, **style)
    top_axes(axes["acc"], axes["loss"], runs)
    cg_panels(axes["cg"], axes["eta"], [r for r in runs if r.optimizer == "ggn"])
    fig.suptitle(f"Fig. 8: modular addition (p = {values_text(runs, modulus)}) with a transformer, "
                 f"Adam vs GGN-CG ({seed_text(runs)})")
    return fig, Table(table_row(r) for r in runs)


def draw(run_dir, out_png) -> Table:
    """Fig. 8 of the Adam and GGN transformer runs in `run_dir` to `out_png`; returns one row of
    final values per run."""
    runs = load_task_runs(run_dir, "fig8", TASK, is_fig8_run, WANTED)
    fig, table = figure(runs)
    save(fig, out_png)
    return table

