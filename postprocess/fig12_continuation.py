"""Paper Fig. 12: the transformer on modular addition (task modular_addition_sequence, Fig. 8),
GGN-CG for the first 3 000 steps, then Adam ("Continue", optimizer 'ggn+adam', a run with
[[phase]] tables), against Adam alone from step 0.

The two top panels of Fig. 8: left train (solid) and validation (dashed) accuracy vs step; right
train and validation cross-entropy loss (log-y, drawn at no less than 1e-16); both log-x, with a
black vertical line at the switch step (/phases/end_step[0]). The pure Adam runs with the phase
run's seed and modulus are drawn thin in Adam's Fig. 8 colour. When Adam takes over, its moment
estimates start from zero and the validation loss jumps: an open circle marks its largest value
within SPIKE_WINDOW = 500 steps after the switch.

The runs may come from several folders (`fig12 CONTINUE_DIR ADAM_DIR -o OUT.png`): the Adam
reference is often the Fig. 8 run. Other runs (other tasks, optimizers, seeds) are skipped. The
table has one row per drawn run: final values, the switch step, the validation loss at the switch
(the last record before Adam's first step) and its maximum within 500 steps after it, and the
first step at which the validation accuracy reaches 0.99 — overall, and counted from Adam's start
(the switch step for the phase run, step 0 for Adam alone), which compares the two directly.
"""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from . import fig8_transformer as fig8  # noqa: E402
from . import mnist  # noqa: E402
from .fig11_ce import values_text  # noqa: E402
from .panels import Table, save, seed_text  # noqa: E402
from .runs import Run, RunFileError, load_runs  # noqa: E402

CONTINUATION = "ggn+adam"
REFERENCE = "adam"
SPIKE_WINDOW = 500  # steps after the switch in which the validation-loss peak is looked for
CONTINUATION_COLOURS = ["C4", "C0", "C6", "C8", "C9", "C5"]
REFERENCE_STYLE = dict(lw=0.9)
WANTED = f"a {fig8.TASK} run with optimizer {CONTINUATION!r} (GGN, then Adam)"


def is_continuation(run: Run) -> bool:
    return run.task == fig8.TASK and run.optimizer == CONTINUATION


def folders(run_dirs) -> list:
    """One folder or several (the CLI passes a list)."""
    return [run_dirs] if isinstance(run_dirs, (str, os.PathLike)) else list(run_dirs)


def load(run_dirs) -> list[Run]:
    """The task's runs of every folder (each file once, however often its folder is named), provided
    there is a phase run among them; otherwise a RunFileError naming the folders and what they hold."""
    runs, seen = [], set()
    for run_dir in folders(run_dirs):
        for run in load_runs(run_dir):
            if run.path.resolve() not in seen:
                seen.add(run.path.resolve())
                runs.append(run)
    chosen = [fig8.check(r) for r in runs if r.task == fig8.TASK]
    if not any(is_continuation(r) for r in chosen):
        tasks = ", ".join(sorted({r.task for r in runs}))
        raise RunFileError(f"{', '.join(map(str, folders(run_dirs)))}: fig12 needs {WANTED}, found none among "
                           f"{len(runs)} run file(s) (tasks: {tasks})")
    return chosen


def references(run: Run, runs: list[Run]) -> list[Run]:
    """The pure Adam runs with the phase run's seed and modulus."""
    return sorted((r for r in runs if r.optimizer == REFERENCE and not r.is_switching
                   and r.attrs.get("seed") == run.attrs.get("seed") and fig8.modulus(r) == fig8.modulus(run)),
                  key=lambda r: r.name)


def rows_between(run: Run, quantity: str, first: int, last: int):
    """(steps, values) of the records with first ≤ step ≤ last."""
    steps, values = np.asarray(run.history["step"]), np.asarray(run.history[quantity], dtype=float)
    rows = min(len(steps), len(values))
    keep = (steps[:rows] >= first) & (steps[:rows] <= last)
    return steps[:rows][keep], values[:rows][keep]


def loss_at_switch(run: Run, switch: int) -> float:
    """The validation loss of the last record at or before the switch (pgdx always records it):
    the state GGN hands over to Adam."""
    _, values = rows_between(run, "test_loss", 0, switch)
    return float(values[-1]) if values.size else float("nan")


def spike(run: Run, switch: int):
    """(step, value) of the largest finite validation loss in (switch, switch + SPIKE_WINDOW], or None."""
    steps, values = rows_between(run, "test_loss", switch + 1, switch + SPIKE_WINDOW)
    keep = np.isfinite(values)
    if not keep.any():
        return None
    i = int(np.argmax(np.where(keep, values, -np.inf)))
    return int(steps[i]), float(values[i])


def table_row(run: Run, label: str, switch=None) -> dict:
    peak = spike(run, switch) if switch is not None else None
    adam_start = switch if switch is not None else -1
    reached = fig8.first_step(run, "test_acc", fig8.VALIDATION, after=adam_start)  # after −1: from step 0
    return {"run": label, "seed": run.attrs.get("seed", "?"), "status": run.status, **fig8.final_values(run),
            "switch step": switch if switch is not None else "-",
            "validation loss at switch": loss_at_switch(run, switch) if switch is not None else "-",
            f"max validation loss ≤ {SPIKE_WINDOW} steps after": peak[1] if peak else "-",
            "at step": peak[0] if peak else "-",
            f"validation acc ≥ {fig8.VALIDATION:g} step": fig8.first_step(run, "test_acc", fig8.VALIDATION),
            "Adam steps to it": reached if reached == "-" else reached - max(adam_start, 0),
            "file": run.path.name}


def figure(runs: list[Run]):
    """Fig. 12 of the phase runs among `runs`, with their Adam references: (figure, Table)."""
    continuing = sorted((r for r in runs if is_continuation(r)),
                        key=lambda r: (r.attrs.get("seed", 0), r.name))
    several = len(continuing) > 1
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    table, drawn, peaks = Table(), set(), []
    for i, run in enumerate(continuing):
        switch = mnist.switch_step(run)
        colour = CONTINUATION_COLOURS[i % len(CONTINUATION_COLOURS)]
        who = f", seed {run.attrs.get('seed', '?')}" if several else ""
        label = f"{mnist.setting_name(run.optimizer)} (Continue){who}{mnist.status_text(run)}"
        table.append(table_row(run, label, switch))
        for ref in references(run, runs):
            if ref.path in drawn:  # shared by several phase runs of one seed
                continue
            drawn.add(ref.path)
            fig8.curves(acc_ax, loss_ax, ref, mnist.colour(REFERENCE), f"Adam alone{who}{mnist.status_text(ref)}",
                        **REFERENCE_STYLE)
            table.append(table_row(ref, "Adam (reference)"))
        fig8.curves(acc_ax, loss_ax, run, colour, label, lw=1.8)  # on top of its reference
        peak = spike(run, switch)
        if peak:
            loss_ax.plot(*peak, ls="none", marker="o", ms=9, mfc="none", mec=colour, mew=1.5, zorder=3,
                         label=f"_peak {run.name}")
            peaks.append(Line2D([], [], ls="none", marker="o", mfc="none", mec=colour,
                                label=f"validation-loss peak (step {peak[0]})"))
    mnist.switch_lines((acc_ax, loss_ax), {mnist.switch_step(r) for r in continuing})
    drawn_runs = continuing + [r for r in runs if r.path in drawn]
    fig8.top_axes(acc_ax, loss_ax, drawn_runs, loss_legend=peaks)
    switches = ", ".join(str(s) for s in sorted({mnist.switch_step(r) for r in continuing}))
    fig.suptitle(f"Fig. 12: modular addition (p = {values_text(continuing, fig8.modulus)}) with a transformer, "
                 f"GGN for {switches} steps, then Adam (Continue) vs Adam alone ({seed_text(continuing)})")
    return fig, table


def draw(run_dirs, out_png) -> Table:
    """Fig. 12 of the phase runs in `run_dirs` (one folder or several) to `out_png`; returns the
    rows of the phase runs and of the Adam references drawn."""
    fig, table = figure(load(run_dirs))
    save(fig, out_png)
    return table
