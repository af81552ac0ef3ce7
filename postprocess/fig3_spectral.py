"""Paper Fig. 3: per optimizer, the residual's first ten Fourier-mode errors e_k vs iteration.

One panel per run (SGD, Adam, AdamW, LM by decreasing μ, GN), ten curves k = 0…9 coloured low →
high frequency, log-y, plus the training loss as a dashed black line.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .runs import Run, load_runs  # noqa: E402

ORDER = {"sgd": 0, "adam": 1, "adamw": 2, "lm": 3, "gn": 4}
MODES = 10


def sort_key(run: Run):
    mu = run.mu if run.optimizer == "lm" else 0.0
    return (ORDER.get(run.optimizer, 99), -mu, run.attrs.get("run_name", ""))


def title(run: Run) -> str:
    opt = run.config.get("optimizer", {})
    name = run.optimizer
    if name == "lm":
        return f"LM μ={opt.get('mu'):g}"
    if name == "gn":
        cut = float(opt.get("gn_cutoff", 1e-6))
        return f"GN (ε={cut:.0e}·λmax)" if opt.get("gn_cutoff_mode", "relative") == "relative" else f"GN (ε={cut:.0e})"
    return {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}.get(name, name)


def figure(runs: list[Run]):
    """The figure and its panel titles (in panel order)."""
    runs = sorted(runs, key=sort_key)
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.8), sharey=True, squeeze=False)
    colours = plt.cm.viridis(np.linspace(0.0, 0.95, MODES))
    titles = []
    for ax, run in zip(axes[0], runs):
        errors = run.fft_error
        for k in range(min(MODES, errors.shape[1] if errors.ndim == 2 else 0)):
            ax.semilogy(run.spectral_step, errors[:, k], color=colours[k], lw=1.2, label=f"k={k}")
        if "train_loss" in run.history:
            ax.semilogy(run.history["step"], run.history["train_loss"], "k--", lw=1.3, label="train loss")
        titles.append(title(run))
        ax.set_title(titles[-1])
        ax.set_xlabel("iteration")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("|FFT error| $e_k$")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    seed = runs[0].attrs.get("seed", "?")
    fig.suptitle(f"Residual Fourier-mode errors, 1-D regression (seed {seed})")
    fig.tight_layout(rect=(0, 0, 0.92, 1))
    return fig, titles


def draw(run_dir, out_png) -> list[str]:
    fig, titles = figure(load_runs(run_dir))
    fig.savefig(out_png, dpi=150)
    plt.close(fig)
    return titles
