"""The neural tangent kernel of a run (run.ntk_every > 0; docs/diagnostics.md), one row per run:

* the eigenvalues λ_i of K = J Jᵀ on the probe set over the steps (the largest ten, log y);
* per eigen-band (decades of λ/λ_max), the measured per-step decay 1 − rate against the lemma's
  prediction for the optimizer that ran (Lemmas 3.1–3.3), the band's median over its modes;
* the residual energy Σ ê_i² per band over the steps.

`python3 -m postprocess ntk RUN_FILE_OR_DIR -o OUT.png`: a run file, or every run with /ntk in a folder.
"""
from __future__ import annotations

import pathlib
import warnings

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .panels import NAMES, discrete_colorbar, frequency_colours, save, sort_key, title  # noqa: E402
from .runs import Run, RunFileError, load_run, load_runs  # noqa: E402

EIGENVALUES = 10  # curves in the eigenvalue panel: the largest ones


def kernel_runs(path) -> list[Run]:
    """The run file `path`, or the runs in folder `path` that recorded /ntk; none is a RunFileError."""
    path = pathlib.Path(path)
    runs = [load_run(path)] if path.is_file() else load_runs(path)
    chosen = sorted((r for r in runs if r.kernel is not None), key=sort_key)
    if not chosen:
        raise RunFileError(" ".join(f"{path}: no /ntk data in {len(runs)} run file(s) (record it with "
                                    "--set run.ntk_every=K)".split()))
    return chosen


def band_medians(kernel, rates: np.ndarray) -> np.ndarray:
    """(S, B): per row s ≥ 1 and band, the median of `rates` over the modes whose eigenvalue at the
    row's earlier recording (s − 1) lies in the band; NaN where a band has no such mode."""
    out = np.full((kernel.step.size, kernel.bands.size), np.nan)
    for s in range(1, kernel.step.size):
        lam = kernel.eigenvalues[s - 1]
        bands = band_index(lam, lam.max(), kernel.bands.size)
        for b in range(kernel.bands.size):
            values = rates[s][(bands == b) & np.isfinite(rates[s])]
            if values.size:
                out[s, b] = np.median(values)
    return out


def band_index(lam: np.ndarray, lam_max: float, bands: int) -> np.ndarray:
    """The band of each eigenvalue, as pgdx's diag::eigen_band defines it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = lam / lam_max
        decades = np.ceil(-np.log10(np.minimum(ratio, 1.0))) - 1.0
    decades = np.where((ratio > 0) & (lam_max > 0), decades, bands - 1)
    return np.clip(decades, 0, bands - 1).astype(int)


def draw_run(axes, run: Run, colours) -> None:
    kernel = run.kernel
    ax_lambda, ax_rate, ax_energy = axes
    for i in range(min(EIGENVALUES, kernel.eigenvalues.shape[1])):
        ax_lambda.plot(kernel.step, kernel.eigenvalues[:, i], color="C0", lw=1.0, alpha=1.0 - 0.07 * i)
    ax_lambda.set_yscale("log")
    ax_lambda.set_ylabel(f"{title(run)}\n$\\lambda_i$ (largest {EIGENVALUES})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN bands (no modes there)
        measured, predicted = band_medians(kernel, kernel.rate_measured), band_medians(kernel, kernel.rate_predicted)
    for b, colour in enumerate(colours):
        ax_rate.plot(kernel.step, 1.0 - measured[:, b], "o-", color=colour, lw=1.4, ms=3)
        ax_rate.plot(kernel.step, 1.0 - predicted[:, b], "x--", color=colour, lw=1.0, ms=4)
        energy = kernel.band_energy[:, b]
        ax_energy.plot(kernel.step, np.where(energy > 0, energy, np.nan), color=colour, lw=1.4)  # empty band: no point
    ax_rate.set_yscale("log")
    ax_rate.set_ylabel("decay per step 1 − rate")
    if not np.isfinite(predicted).any():
        ax_rate.text(0.02, 0.02, f"no prediction for {NAMES.get(run.optimizer, run.optimizer)} here",
                     transform=ax_rate.transAxes, fontsize=8, color="0.4")
    ax_energy.set_yscale("log")
    ax_energy.set_ylabel("residual energy $\\sum \\hat e_i^2$")
    for ax in axes:
        ax.set_xlabel("iteration")
        ax.grid(True, which="major", alpha=0.3)


def figure(runs: list[Run]):
    bands = runs[0].kernel.bands.size
    colours = frequency_colours(bands)
    fig, axes = plt.subplots(len(runs), 3, figsize=(14, 3.4 * len(runs) + 0.8), squeeze=False, layout="constrained")
    for row, run in zip(axes, runs):
        draw_run(row, run, colours)
    axes[0][1].plot([], [], "ko-", ms=3, label="measured (band median)")
    axes[0][1].plot([], [], "kx--", ms=4, label="lemma's prediction")
    axes[0][1].legend(loc="lower left", fontsize=8, framealpha=0.8)
    discrete_colorbar(fig, list(axes[:, 1:].ravel()), colours, "band b: 10^-(b+1) < λ/λmax ≤ 10^-b")
    fig.suptitle(f"Kernel K = J Jᵀ on the probe set ({runs[0].task}): spectrum, per-band rates, residual energy")
    return fig


def draw(run_path, out_png) -> list[str]:
    """Save the figure of every kernel-recording run at `run_path` (file or folder); returns their titles."""
    runs = kernel_runs(run_path)
    save(figure(runs), out_png)
    return [title(r) for r in runs]
