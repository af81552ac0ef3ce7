"""Paper Fig. 4: PINN for −Δu = f on (0,1)² with exact solution u* = sin(nπx) sin(mπy),
three frequencies (n,m) = (1,1), (2,2), (3,3) × optimizers SGD, Adam, LM (EXPERIMENTS.md §3).

One column per optimizer setting (optimizer, η, and μ for LM), in the paper's order; top row
the training loss vs iteration, bottom row the relative L² error ‖u_θ − u*‖ / ‖u*‖ on the
solution grid (/history/l2_error), both log-y and shared along the row so the columns compare.
One colour per frequency, the paper's blue / orange / green for (1,1) / (2,2) / (3,3).

Several seeds of one (setting, frequency) are all drawn: the lowest seed as the labelled
line, the others thin in the same colour; the returned table has one row per run file.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from .panels import NAMES, ORDER, Table, last, save, seed_text  # noqa: E402
from .runs import Run, RunFileError, load_runs  # noqa: E402

TASK = "pinn_poisson"
PAPER_COLOURS = {(1, 1): "C0", (2, 2): "C1", (3, 3): "C2"}


def frequency(run: Run) -> tuple[int, int]:
    """(n, m) from the run's config `task.frequency`."""
    value = run.config.get("task", {}).get("frequency")
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise RunFileError(f"{run.path}: config task.frequency = {value!r}, expected [n, m] (two integers)")
    return value[0], value[1]


def check(run: Run) -> None:
    """A file that cannot be part of Fig. 4 is named instead of drawing a misleading curve."""
    if run.task != TASK:
        raise RunFileError(f"{run.path}: task {run.task!r} (fig4 needs runs of the {TASK} task)")
    if "l2_error" not in run.history:
        raise RunFileError(f"{run.path}: dataset /history/l2_error is missing (fig4 needs it)")
    frequency(run)


def setting(run: Run) -> tuple:
    """What makes a column: the optimizer, its η and, for LM, its μ (None when not configured,
    since NaN keys would never compare equal and split a column)."""
    opt = run.config.get("optimizer", {})
    lr = float(opt["lr"]) if "lr" in opt else None
    mu = float(opt["mu"]) if run.optimizer == "lm" and "mu" in opt else None
    return run.optimizer, lr, mu


def setting_order(key: tuple):
    optimizer, lr, mu = key
    return (ORDER.get(optimizer, len(ORDER)), -mu if mu is not None else 0.0, optimizer,
            -lr if lr is not None else 0.0)


def setting_title(key: tuple) -> str:
    """'LM η=0.1, μ=0.1', 'Adam η=0.01', 'SGD η=0.001'."""
    optimizer, lr, mu = key
    parts = [f"η={lr:g}"] if lr is not None else []
    parts += [f"μ={mu:g}"] if mu is not None else []
    return f"{NAMES.get(optimizer, optimizer)} {', '.join(parts)}".rstrip()


def frequency_text(freq) -> str:
    return f"({freq[0]},{freq[1]})"


def run_order(run: Run):
    n, m = frequency(run)
    return (n + m, n, m, run.attrs.get("seed", 0), run.name)  # low → high frequency, as the paper plots


def colours_for(frequencies) -> dict:
    """The paper's colours for its three frequencies; any others get C3, C4, … in frequency order."""
    extra = sorted(set(frequencies) - set(PAPER_COLOURS), key=lambda f: (f[0] + f[1], f))
    return {**PAPER_COLOURS, **{f: f"C{3 + i}" for i, f in enumerate(extra)}}


def final_row(key: tuple, run: Run) -> dict:
    """The table row of one run: its last recorded step, training loss and L² error."""
    steps = run.history["step"]
    return {"optimizer": setting_title(key), "(n,m)": frequency_text(frequency(run)),
            "seed": run.attrs.get("seed", "?"), "status": run.status,
            "step": int(steps[-1]) if steps.size else None, "final train loss": last(run.history["train_loss"]),
            "final L2 error": last(run.history["l2_error"]), "file": run.path.name}


def _curve(ax, run: Run, quantity: str, colour, label, thin: bool) -> None:
    steps, values = run.history["step"], run.history[quantity]
    rows = min(len(steps), len(values))  # an unfinished file may be one row short somewhere
    ax.plot(steps[:rows], values[:rows], color=colour, lw=0.7 if thin else 1.6, alpha=0.6 if thin else 1.0,
            label=label)


def figure(runs: list[Run]):
    """Fig. 4 for the given runs: returns (figure, column titles, Table with one row per run)."""
    for run in runs:
        check(run)
    columns = {}
    for run in sorted(runs, key=run_order):
        columns.setdefault(setting(run), []).append(run)
    keys = sorted(columns, key=setting_order)
    colours = colours_for(frequency(r) for r in runs)
    fig, axes = plt.subplots(2, len(keys), figsize=(3.8 * len(keys) + 0.8, 6.4), sharex="col", sharey="row",
                             squeeze=False, layout="constrained")
    titles, table = [], Table()
    for c, key in enumerate(keys):
        top, bottom = axes[0][c], axes[1][c]
        drawn = set()
        for run in columns[key]:
            freq = frequency(run)
            # Only the first run of a frequency is labelled: matplotlib leaves '_' labels out of legends.
            label = ("_" if freq in drawn else "") + f"(n,m) = {frequency_text(freq)}"
            for ax, quantity in ((top, "train_loss"), (bottom, "l2_error")):
                _curve(ax, run, quantity, colours[freq], label, thin=freq in drawn)
            drawn.add(freq)
            table.append(final_row(key, run))
        unfinished = dict.fromkeys(f"{frequency_text(frequency(r))} {r.status}"  # once per frequency, not per seed
                                   for r in columns[key] if r.status != "completed")
        # A diverged or failed run must not pass for a finished one.
        titles.append(setting_title(key) + (f" [{', '.join(unfinished)}]" if unfinished else ""))
        top.set_title(titles[-1])
        bottom.set_xlabel("iteration")
        for ax in (top, bottom):
            ax.set_yscale("log")
            ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("training loss")
    axes[1][0].set_ylabel(r"relative $L^2$ error $\Vert u_\theta - u^*\Vert / \Vert u^*\Vert$")
    axes[0][0].legend(loc="lower left", fontsize=8, framealpha=0.8)
    fig.suptitle(r"Fig. 4: PINN for $-\Delta u = f$ on $(0,1)^2$, $u^* = \sin(n\pi x)\,\sin(m\pi y)$"
                 f" ({seed_text(runs)})")
    return fig, titles, table


def draw(run_dir, out_png) -> Table:
    """Load every finished run in `run_dir`, save Fig. 4 as `out_png`; returns the final values."""
    fig, _, table = figure(load_runs(run_dir))
    save(fig, out_png)
    return table
