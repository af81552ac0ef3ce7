"""What the per-optimizer panel figures (Figs. 3, 4, 9) share: the paper's optimizer order,
panel titles from each run's config, the discrete frequency colour bar, saving, and the
small table of final values the CLI prints after the PNG path.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import measures  # noqa: E402
from .runs import Run  # noqa: E402

ORDER = {"sgd": 0, "adam": 1, "adamw": 2, "lm": 3, "gn": 4, "ggn": 5}  # unknown optimizers go last
NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "lm": "LM", "gn": "GN", "ggn": "GGN"}
CMAP = plt.cm.viridis
DPI = 150
RAW_ALPHA = 0.25  # the raw curve under a smoothed one


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


def seed_text(runs: list[Run]) -> str:
    """'seed 0' or 'seeds 0, 1' for a figure title."""
    seeds = sorted({r.attrs.get("seed", "?") for r in runs}, key=str)
    return f"seed {seeds[0]}" if len(seeds) == 1 else "seeds " + ", ".join(map(str, seeds))


def frequency_colours(count: int):
    """`count` viridis colours, low → high frequency, stopping short of the pale yellow end."""
    return CMAP(np.linspace(0.0, 0.9, count))


def sequential_colours(values) -> dict:
    """{value: colour} along viridis in increasing value (a swept α or s, dark → light), stopping
    short of the pale yellow end, which is hard to see on white."""
    values = sorted(set(values))
    return dict(zip(values, CMAP(np.linspace(0.0, 0.85, len(values)))))


def first_of_each(runs: list[Run], key) -> list[tuple[Run, bool]]:
    """(run, is first of its key): the first is drawn as the labelled line, later seeds thin."""
    seen, result = set(), []
    for run in runs:
        result.append((run, key(run) not in seen))
        seen.add(key(run))
    return result


def swept_runs(runs: list[Run], task: str, columns: tuple, value) -> list[Run]:
    """The runs of `task` whose optimizer has a column, by column, then by the swept value(run)
    (s, α), seed and name; a sweep figure skips any other run of the folder."""
    return sorted((r for r in runs if r.task == task and r.optimizer in columns),
                  key=lambda r: (columns.index(r.optimizer), value(r), r.attrs.get("seed", 0), r.name))


def seed_lines(runs: list[Run], key, text):
    """(run, label, line style) per run, sorted runs in: the first run of each key(run), the lowest
    seed, labelled text(run) at full strength; later seeds thin, with a '_' label that matplotlib
    leaves out of legends."""
    for run, first in first_of_each(runs, key):
        yield run, ("" if first else "_") + text(run), dict(lw=1.5 if first else 0.7, alpha=1.0 if first else 0.6)


def empty_note(ax, text: str) -> None:
    """A panel without runs says so instead of looking like a plotting failure."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")


def discrete_colorbar(fig, axes, colours, label: str):
    """One colour band per integer 0…len(colours)−1 (a wave number or shell), next to `axes`."""
    count = len(colours)
    norm = matplotlib.colors.BoundaryNorm(np.arange(count + 1) - 0.5, count)
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=matplotlib.colors.ListedColormap(colours))
    bar = fig.colorbar(mappable, ax=axes, ticks=range(count), fraction=0.03, pad=0.01)
    bar.set_label(label)
    return bar


def spectral_panel(ax, run: Run, steps, errors, wave_numbers, colours, symbol: str, smooth: float = 0) -> None:
    """One curve per wave number / shell i < len(colours) (column where wave_numbers == i) and the
    training loss as a black dashed line, on a log-y axis. With smooth > 0 (steps) each curve is its
    running geometric mean over that many steps (measures.running_geometric_mean) over the raw curve
    drawn faint, unlabelled ('_raw …': legends leave it out)."""
    def plot(x, y, label, **style):
        if smooth > 0:
            ax.plot(x, y, label=f"_raw {label}", **{**style, "ls": "-", "lw": 0.5, "alpha": RAW_ALPHA})
            y = measures.running_geometric_mean(x, y, smooth)
        ax.plot(x, y, label=label, **style)

    rows = min(len(steps), errors.shape[0])  # an unfinished file may be one row short somewhere
    for i, colour in enumerate(colours):
        columns = np.flatnonzero(wave_numbers == i)
        if columns.size:
            plot(steps[:rows], errors[:rows, columns[0]], f"{symbol}={i}", color=colour, lw=1.2)
    loss_steps, loss = run.history["step"], run.history["train_loss"]
    rows = min(len(loss_steps), len(loss))
    plot(loss_steps[:rows], loss[:rows], "train loss", color="k", ls="--", lw=1.4)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.grid(True, which="major", alpha=0.3)


def save(fig, out_png) -> None:
    """Write the PNG and always free the figure (a sweep script may draw many)."""
    try:
        fig.savefig(out_png, dpi=DPI)
    finally:
        plt.close(fig)


def last(values) -> float:
    """The last recorded value of a history array (NaN when nothing was recorded)."""
    values = np.asarray(values)
    return float(values[-1]) if values.size else math.nan


class Table(list):
    """Rows (dicts with the same keys) of final values that a figure's draw() returns.

    The CLI prints it after the PNG path as a Markdown table, because those numbers end up in
    a report; a plain list returned by other commands is not printed.
    """

    def lines(self) -> list[str]:
        if not self:
            return []
        columns = list(self[0])
        return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)] + [
            "| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in self]


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"  # enough for a report; the PNG and the files hold the rest
    return str(value).replace("|", "/")  # a '|' inside a cell would split the Markdown row
