"""Paper Fig. 9 (Appendix B.1): per optimizer, the residual's first ten radial-shell errors
e_m vs iteration on the 2-D discontinuous regression task (regression2d).

EXPERIMENTS.md §2 and §0.6: E_{k,l} = |FFT2(r)_{k,l}| / n on the nx × ny grid, and e_m the mean
of E_{k,l} over the shell round(√(k̃² + l̃²)) = m with folded wave numbers k̃ = min(k, nx − k),
l̃ = min(l, ny − l). The layout mirrors Fig. 3 on purpose (same panel order and titles, viridis
low → high frequency, shared log-y, training loss dashed black), so the two read side by side:
GN should drive all shells down at one rate, SGD should order them by frequency.

Minibatch steps make every curve jump from step to step (shell 0 most), so each is drawn as its
running geometric mean over a window of steps (default 1 % of the run) over the raw curve drawn
faint; `--smooth 0` draws the raw curves only.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .panels import (Table, discrete_colorbar, frequency_colours, last, panel_titles, save,  # noqa: E402
                     seed_text, sort_key, spectral_panel)
from .runs import Run, RunFileError, Spectrum2D, load_runs  # noqa: E402

SHELLS = 10  # "the first ten frequencies": shells m = 0…9 (m = 0 is the mean)
SMOOTH_FRACTION = 0.01  # default window: 1 % of a run's steps, 50 of 5 000 (12 epochs of 4 minibatches)


def shell_count(grid_shape) -> int:
    """M = round(√(⌊nx/2⌋² + ⌊ny/2⌋²)) + 1, the number of shells pgdx stores (29 for 40 × 40)."""
    nx, ny = grid_shape
    return int(np.rint(np.hypot(nx // 2, ny // 2))) + 1


def shell_means(full_error: np.ndarray, grid_shape) -> np.ndarray:
    """e_m (…, M) from full spectra E (…, nx, ny) by the layout's shell rule.

    Lets a user check /spectral/fft_error_2d against /spectral_full, or reduce E differently.
    Ties cannot occur: k̃² + l̃² is an integer, (m + ½)² never is.
    """
    nx, ny = grid_shape
    k, l = np.arange(nx), np.arange(ny)
    radius = np.rint(np.hypot(np.minimum(k, nx - k)[:, None], np.minimum(l, ny - l)[None, :])).astype(int)
    count = shell_count(grid_shape)
    sums = np.stack([full_error[..., radius == m].sum(axis=-1) for m in range(count)], axis=-1)
    members = np.bincount(radius.ravel(), minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty shell (tiny grids) is NaN
        return sums / members


def spectrum(run: Run) -> Spectrum2D:
    """The run's 2-D spectrum; a file without one is named instead of drawing an empty panel."""
    spec = run.spectrum_2d
    if spec is None or spec.shell_error.shape[0] == 0 or spec.step.size == 0:
        raise RunFileError(f"{run.path}: no /spectral/fft_error_2d (fig9 needs runs of the regression2d task)")
    return spec


def final_row(run: Run, shells: int) -> dict:
    """The table row of one run: last recorded step, train loss and shell errors e_0…e_{shells−1}."""
    spec = spectrum(run)
    rows = min(spec.step.size, spec.shell_error.shape[0])
    row = {"status": run.status, "step": int(spec.step[rows - 1]), "train loss": last(run.history["train_loss"])}
    for m in range(shells):
        columns = np.flatnonzero(spec.shells == m)
        row[f"e_{m}"] = float(spec.shell_error[rows - 1, columns[0]]) if columns.size else float("nan")
    row["file"] = run.path.name
    return row


def smoothing_window(steps, smooth=None) -> float:
    """The running-mean window in steps: `smooth`, or SMOOTH_FRACTION of the last step; 0 (raw
    curves) below two steps, where there is nothing to average."""
    width = SMOOTH_FRACTION * float(steps[-1]) if smooth is None else float(smooth)
    return width if width >= 2 else 0.0


def figure(runs: list[Run], shells: int = SHELLS, smooth=None):
    """Fig. 9 for the given runs: returns (figure, Table with one row per panel, in panel order).
    smooth: window of the running geometric mean in steps (None: 1 % of each run, 0: raw only)."""
    spectra = {id(run): spectrum(run) for run in runs}  # checks every file before drawing any
    runs = sorted(runs, key=sort_key)
    shells = max(1, min(shells, max(s.shells.size for s in spectra.values())))
    fig, axes = plt.subplots(1, len(runs), figsize=(3.6 * len(runs) + 1.4, 3.8), sharey=True,
                             squeeze=False, layout="constrained")
    axes = list(axes[0])
    colours = frequency_colours(shells)
    titles = panel_titles(runs)
    table, widths = Table(), set()
    for ax, run, text in zip(axes, runs, titles):
        spec = spectra[id(run)]
        width = smoothing_window(spec.step, smooth)
        widths.add(width)
        spectral_panel(ax, run, spec.step, spec.shell_error, spec.shells, colours, "m", smooth=width)
        ax.set_title(text)
        table.append({"run": text, **final_row(run, shells)})
    axes[0].set_ylabel("radial-shell error $e_m$")
    axes[0].legend(handles=[axes[0].get_lines()[-1]], loc="lower left", fontsize=8, framealpha=0.8)
    discrete_colorbar(fig, axes, colours, "radial shell m (low → high frequency)")

    grids = sorted({"×".join(map(str, s.grid_shape)) for s in spectra.values()})
    task = runs[0].task
    smoothed = sorted(w for w in widths if w > 0)
    note = (f"\nrunning geometric mean over {'/'.join(f'{w:g}' for w in smoothed)} steps, raw curves faint"
            if smoothed else "")  # a second line: two panels are too narrow for both
    fig.suptitle(f"Fig. 9: residual radial-shell errors $e_m$, m = 0…{shells - 1} "
                 f"({task} {', '.join(grids)}, {seed_text(runs)}){note}")
    return fig, table


def draw(run_dir, out_png, shells: int = SHELLS, smooth=None) -> Table:
    """Load every finished run in `run_dir`, save Fig. 9 as `out_png`; returns the final values."""
    fig, table = figure(load_runs(run_dir), shells, smooth)
    save(fig, out_png)
    return table
