"""Paper Fig. 3: per optimizer, the residual's first ten Fourier-mode errors e_k vs iteration.

EXPERIMENTS.md §1: one panel per run, ordered SGD, Adam, AdamW, LM (by decreasing μ, i.e.
from SGD-like to GN-like), GN. Each panel has ten curves e_k, k = 0…9, coloured low → high
frequency, on a log y-axis shared by all panels so slopes and floors compare across
optimizers, plus the training loss as a black dashed line.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .runs import Run, RunFileError, load_runs  # noqa: E402

ORDER = {"sgd": 0, "adam": 1, "adamw": 2, "lm": 3, "gn": 4}  # unknown optimizers go last
NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "lm": "LM", "gn": "GN"}
MODES = 10  # "the first ten modes": k = 0…9 (k = 0 is the mean)
CMAP = plt.cm.viridis
DPI = 150


def sort_key(run: Run):
    """Paper order; LM runs by decreasing μ; ties broken by seed then name for a stable figure."""
    mu = run.mu if run.optimizer == "lm" else 0.0
    return (ORDER.get(run.optimizer, len(ORDER)), -mu if np.isfinite(mu) else 0.0,
            run.optimizer, run.attrs.get("seed", 0), run.name)


def title(run: Run) -> str:
    """Panel title from the run's own config, e.g. 'LM μ=0.1' or 'GN (ε=1e-06·λmax)'."""
    opt = run.config.get("optimizer", {})
    text = NAMES.get(run.optimizer, run.optimizer)
    if run.optimizer == "lm":
        text += f" μ={run.mu:g}"
        if opt.get("damping", "constant") != "constant":  # μ is then only the starting value
            text += f" ({opt['damping']})"
    elif run.optimizer == "gn" and "gn_cutoff" in opt:
        relative = opt.get("gn_cutoff_mode", "relative") == "relative"
        text += f" (ε={float(opt['gn_cutoff']):g}{'·λmax' if relative else ''})"
    if run.status != "completed":  # a diverged or failed run must not pass for a finished one
        text += f" [{run.status}]"
    return text


def panel_titles(runs: list[Run]) -> list[str]:
    """Titles in panel order; runs that would share a title (other seeds) get their seed added."""
    titles = [title(r) for r in runs]
    return [t + (f", seed {r.attrs.get('seed', '?')}" if titles.count(t) > 1 else "") for t, r in zip(titles, runs)]


def _check_spectrum(run: Run) -> None:
    """Fig. 3 needs the 1-D spectrum; say which file lacks it instead of drawing an empty panel."""
    if run.fft_error.ndim != 2 or run.fft_error.shape[0] == 0 or run.spectral_step.size == 0:
        raise RunFileError(f"{run.path}: no /spectral data (fig3 needs runs of a 1-D regression task)")


def _draw_panel(ax, run: Run, colours) -> None:
    """Ten mode curves and the training loss of one run on a log-y axis."""
    steps, errors = run.spectral_step, run.fft_error
    rows = min(len(steps), errors.shape[0])  # an unfinished file may be one row short somewhere
    for k in range(MODES):
        columns = np.flatnonzero(run.spectral_modes == k)
        if columns.size:
            ax.plot(steps[:rows], errors[:rows, columns[0]], color=colours[k], lw=1.2, label=f"k={k}")
    loss_steps, loss = run.history["step"], run.history["train_loss"]
    rows = min(len(loss_steps), len(loss))
    ax.plot(loss_steps[:rows], loss[:rows], "k--", lw=1.4, label="train loss")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.grid(True, which="major", alpha=0.3)


def figure(runs: list[Run]):
    """Fig. 3 for the given runs (any number, any optimizers): returns (figure, panel titles)."""
    for run in runs:
        _check_spectrum(run)
    runs = sorted(runs, key=sort_key)
    fig, axes = plt.subplots(1, len(runs), figsize=(3.6 * len(runs) + 1.4, 3.8), sharey=True,
                             squeeze=False, layout="constrained")
    axes = list(axes[0])
    colours = CMAP(np.linspace(0.0, 0.9, MODES))  # stop short of viridis' pale yellow end
    titles = panel_titles(runs)
    for ax, run, text in zip(axes, runs, titles):
        _draw_panel(ax, run, colours)
        ax.set_title(text)
    axes[0].set_ylabel("|FFT error| $e_k$")
    axes[0].legend(handles=[axes[0].get_lines()[-1]], loc="lower left", fontsize=8, framealpha=0.8)

    # Discrete colour bar: one band per wave number k, low (dark) to high (light) frequency.
    norm = matplotlib.colors.BoundaryNorm(np.arange(MODES + 1) - 0.5, MODES)
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=matplotlib.colors.ListedColormap(colours))
    bar = fig.colorbar(mappable, ax=axes, ticks=range(MODES), fraction=0.03, pad=0.01)
    bar.set_label("mode k (low → high frequency)")

    task = runs[0].attrs.get("task", "1-D regression")
    seeds = sorted({r.attrs.get("seed", "?") for r in runs}, key=str)
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else "seeds " + ", ".join(map(str, seeds))
    fig.suptitle(f"Fig. 3: residual Fourier-mode errors $e_k$, k = 0…{MODES - 1} ({task}, {seed_text})")
    return fig, titles


def draw(run_dir, out_png) -> list[str]:
    """Load every finished run in `run_dir`, save Fig. 3 as `out_png`; returns the panel titles."""
    fig, titles = figure(load_runs(run_dir))
    try:
        fig.savefig(out_png, dpi=DPI)
    finally:
        plt.close(fig)
    return titles
