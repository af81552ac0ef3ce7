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

# CMAP, DPI, NAMES, ORDER, title: re-exported, they were defined here before panels.py existed.
from .panels import (CMAP, DPI, NAMES, ORDER, discrete_colorbar, frequency_colours,  # noqa: E402,F401
                     panel_titles, save, seed_text, sort_key, spectral_panel, title)
from .runs import Run, RunFileError, load_runs  # noqa: E402

MODES = 10  # "the first ten modes": k = 0…9 (k = 0 is the mean)


def check_spectrum(run: Run) -> None:
    """Fig. 3 needs the 1-D spectrum; say which file lacks it instead of drawing an empty panel."""
    if run.fft_error.ndim != 2 or run.fft_error.shape[0] == 0 or run.spectral_step.size == 0:
        raise RunFileError(f"{run.path}: no /spectral data (fig3 needs runs of a 1-D regression task)")


def figure(runs: list[Run]):
    """Fig. 3 for the given runs (any number, any optimizers): returns (figure, panel titles)."""
    for run in runs:
        check_spectrum(run)
    runs = sorted(runs, key=sort_key)
    fig, axes = plt.subplots(1, len(runs), figsize=(3.6 * len(runs) + 1.4, 3.8), sharey=True,
                             squeeze=False, layout="constrained")
    axes = list(axes[0])
    colours = frequency_colours(MODES)
    titles = panel_titles(runs)
    for ax, run, text in zip(axes, runs, titles):
        spectral_panel(ax, run, run.spectral_step, run.fft_error, run.spectral_modes, colours, "k")
        ax.set_title(text)
    axes[0].set_ylabel("|FFT error| $e_k$")
    axes[0].legend(handles=[axes[0].get_lines()[-1]], loc="lower left", fontsize=8, framealpha=0.8)

    discrete_colorbar(fig, axes, colours, "mode k (low → high frequency)")

    task = runs[0].attrs.get("task", "1-D regression")
    fig.suptitle(f"Fig. 3: residual Fourier-mode errors $e_k$, k = 0…{MODES - 1} ({task}, {seed_text(runs)})")
    return fig, titles


def draw(run_dir, out_png) -> list[str]:
    """Load every finished run in `run_dir`, save Fig. 3 as `out_png`; returns the panel titles."""
    fig, titles = figure(load_runs(run_dir))
    save(fig, out_png)
    return titles
