"""Seed bands of a sweep: per group of runs that differ only in seed, the median of a history
quantity vs step as a line, with the min–max over seeds shaded.

Groups are (optimizer, μ for LM) plus every other key swept in the folder (from the file names,
e.g. `optimizer.lr`), except the seed, so each band really is "same setting, other seeds".
"""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .collect import SEED_KEYS, group_bands, swept_keys  # noqa: E402
from .panels import NAMES, ORDER  # noqa: E402
from .runs import Run, load_runs  # noqa: E402

BASE_KEYS = ("optimizer", "mu")
IMPLIED = {"optimizer.name", "optimizer.mu"}  # already covered by BASE_KEYS
DPI = 150


def group_keys(runs: list[Run]) -> tuple:
    """BASE_KEYS plus the swept keys of the file names other than seeds, sorted."""
    extra = set()
    for run in runs:
        extra |= set(swept_keys(run.path.name.removesuffix(".h5")))
    return BASE_KEYS + tuple(sorted(extra - IMPLIED - set(SEED_KEYS)))


def label(group: dict) -> str:
    """'LM μ=0.1 (3 seeds)', 'SGD, optimizer.lr=0.01 (1 seed)'."""
    key = dict(group["key"])
    optimizer = key.pop("optimizer", "?")
    text = NAMES.get(optimizer, str(optimizer))
    mu = key.pop("mu", None)
    if mu is not None:
        text += f" μ={mu:g}"
    if key:
        text += ", " + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in key.items())
    statuses = sorted({r.status for r in group["runs"]} - {"completed"})
    if statuses:  # a diverged seed must not pass for a finished one
        text += f" [{', '.join(statuses)}]"
    n = len(group["runs"])
    return f"{text} ({n} seed{'s' if n != 1 else ''})"


def _order(group: dict):
    key = group["key"]
    mu = key.get("mu")
    return (ORDER.get(key.get("optimizer"), len(ORDER)), -mu if mu is not None else 0.0,
            str(key.get("optimizer")), [str(v) for v in key.values()])


def band(ax, group: dict, colour, label: str, keep=slice(None), ls="-", lw=1.6, alpha=1.0):
    """The median of a group_bands() group as a line and its min–max over seeds shaded, at the
    steps group['step'][keep]; returns (line, band) so callers can tag them."""
    step = group["step"]
    line = ax.plot(step[keep], group["median"][keep], color=colour, ls=ls, lw=lw, alpha=alpha, label=label)[0]
    shade = ax.fill_between(step[keep], group["min"][keep], group["max"][keep], color=colour, alpha=0.25 * alpha,
                            lw=0)
    return line, shade


def figure(runs: list[Run], quantity="train_loss", title=None):
    """(figure, labels): one median line and min–max band per group, in paper optimizer order."""
    groups = sorted(group_bands(runs, group_keys(runs), quantity), key=_order)
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    labels = []
    for i, g in enumerate(groups):
        colour = f"C{i % 10}"
        text = label(g)
        labels.append(text)
        band(ax, g, colour, text)
    values = np.concatenate([np.concatenate([g["min"], g["max"]]) for g in groups]) if groups else np.zeros(0)
    if "loss" in quantity and np.any(values[np.isfinite(values)] > 0):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(quantity.replace("_", " "))
    ax.set_title(title or f"{quantity.replace('_', ' ')}: median and min–max over seeds")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return fig, labels


def draw(run_dir, out_png, quantity="train_loss") -> list[str]:
    """Seed-band figure of every finished run in `run_dir` to `out_png`; returns the group labels."""
    runs = load_runs(run_dir)
    name = pathlib.Path(run_dir).resolve().name
    fig, labels = figure(runs, quantity, title=f"{quantity.replace('_', ' ')}: median and min–max over seeds ({name})")
    try:
        fig.savefig(out_png, dpi=DPI)
    finally:
        plt.close(fig)
    return labels
