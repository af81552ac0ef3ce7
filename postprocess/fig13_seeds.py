"""Paper Fig. 13 (Appendix E): Fig. 1's top row and Fig. 7 repeated over seeds, MNIST α = 8
(EXPERIMENTS.md §6), from `pgdx sweep jobs/fig13_mnist_seeds.toml` and
`jobs/fig13_mnist_switch_seeds.toml` written into one folder.

Per optimizer setting (SGD, Adam, AdamW, LM, and LM→AdamW switching runs) the median over seeds
is a line and the min–max over seeds is shaded (collect.group_bands, seed_bands.band), log-x.
Top row (single-optimizer runs): train (solid) / test (dotted) accuracy and weight norm. Bottom
row (when the folder holds switching runs): their accuracy and MSE loss with the AdamW and LM
bands as references (LM translucent grey, AdamW thin) and a black line at the switch step.
Runs of other tasks or another α are skipped.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import mnist  # noqa: E402
from .collect import group_bands  # noqa: E402
from .fig1_mnist import ALPHA  # noqa: E402
from .fig7_switch import REFERENCE_STYLE, REFERENCES  # noqa: E402
from .panels import Table, save, seed_text  # noqa: E402
from .runs import Run  # noqa: E402
from .seed_bands import band  # noqa: E402

QUANTITIES = ("train_acc", "test_acc", "weight_norm", "train_loss", "test_loss")


def bands(runs: list[Run]) -> dict:
    """{quantity: {optimizer: group_bands() group}}: every setting's seeds, one group per optimizer
    (two runs of one setting and seed are a RunFileError: the folder mixes settings)."""
    return {q: {g["key"]["optimizer"]: g for g in group_bands(runs, ("optimizer",), q)} for q in QUANTITIES}


def setting_label(group: dict, alone: bool = False) -> str:
    """'AdamW (6 seeds)', 'LM→AdamW (1 seed) [diverged]', 'LM alone (6 seeds)' for a reference."""
    n = len(group["runs"])
    statuses = sorted({r.status for r in group["runs"]} - {"completed"})
    flag = f" [{', '.join(statuses)}]" if statuses else ""  # a diverged seed must not pass for a finished one
    name = mnist.setting_name(group["key"]["optimizer"]) + (" alone" if alone else "")
    return f"{name} ({n} seed{'s' if n != 1 else ''}){flag}"


def _spread(values, prefix: str) -> dict:
    values = np.asarray(values, dtype=float)
    if not values.size:
        return {f"{prefix} median": "-", f"{prefix} min": "-", f"{prefix} max": "-"}
    return {f"{prefix} median": float(np.median(values)), f"{prefix} min": float(values.min()),
            f"{prefix} max": float(values.max())}


def table_row(optimizer: str, group: dict) -> dict:
    """Final test accuracy over all seeds; the grokking delay only over the seeds that reached
    both thresholds (−1 in the file), with how many did, since a median over '−1's means nothing."""
    members = group["runs"]
    delays = [r.attrs["grokking_delay"] for r in members if mnist.grokked(r)]
    return {"setting": mnist.setting_name(optimizer), "seeds": len(members),
            **_spread([mnist.final(r, "test_acc") for r in members], "final test acc"),
            "grokked": f"{len(delays)}/{len(members)}", **_spread(delays, "grokking delay"),
            "seed list": " ".join(str(s) for s in sorted(group["seeds"], key=str))}


def _draw(ax, quantities, groups: dict, optimizer: str, style: dict) -> None:
    """Median lines and bands of one setting for (train, test) quantities, solid and dotted."""
    label = setting_label(groups[quantities[0]][optimizer], style.get("alone", False))
    for quantity, ls in zip(quantities, (mnist.TRAIN, mnist.TEST)):
        group = groups[quantity][optimizer]
        line, shade = band(ax, group, style["colour"], label if ls == mnist.TRAIN else "_" + label,
                           keep=group["step"] > 0, ls=ls, lw=style.get("lw", 1.6), alpha=style.get("alpha", 1.0))
        for artist in (line, shade):  # lets a test (or a reader of the figure object) find each band
            artist.set_gid(f"{optimizer}:{quantity}")


def top_row(acc_ax, norm_ax, groups: dict, pure: list[str]) -> None:
    for optimizer in pure:
        style = {"colour": mnist.colour(optimizer)}
        _draw(acc_ax, ("train_acc", "test_acc"), groups, optimizer, style)
        _draw(norm_ax, ("weight_norm",), groups, optimizer, style)
    mnist.accuracy_axes(acc_ax, "accuracy: median and min–max over seeds")
    mnist.log_x(norm_ax, r"weight norm $\Vert\theta\Vert_2$", "weight norm: median and min–max over seeds")
    mnist.legend(acc_ax, loc="best")
    norm_ax.legend(fontsize="small", framealpha=0.85)


def bottom_row(acc_ax, loss_ax, groups: dict, switching: list[str], references: list[str], steps) -> None:
    for optimizer in references + switching:
        reference = REFERENCE_STYLE[optimizer] if optimizer in references else None
        style = ({"colour": reference["color"], "lw": reference["lw"], "alpha": reference.get("alpha", 1.0),
                  "alone": True} if reference else {"colour": mnist.colour(optimizer), "lw": 1.8})
        _draw(acc_ax, ("train_acc", "test_acc"), groups, optimizer, style)
        _draw(loss_ax, ("train_loss", "test_loss"), groups, optimizer, style)
    mnist.switch_lines((acc_ax, loss_ax), steps)
    mnist.accuracy_axes(acc_ax, "switching: accuracy, median and min–max over seeds")
    mnist.log_x(loss_ax, "MSE loss", "switching: loss, median and min–max over seeds")
    loss_ax.set_yscale("log")
    mnist.legend(acc_ax, loc="best")
    loss_ax.legend(handles=mnist.style_handles(), fontsize="small", loc="lower left")


def figure(runs: list[Run], alpha: float = ALPHA):
    """Fig. 13 of MNIST runs at one α: (figure, Table with one row per setting)."""
    groups = bands(runs)
    settings = sorted(groups["train_acc"], key=mnist.setting_order)
    pure = [o for o in settings if "+" not in o]
    switching = [o for o in settings if "+" in o]
    references = [o for o in REFERENCES if o in pure]
    rows = [row for row, present in (("pure", pure), ("switch", switching)) if present]
    fig, axes = plt.subplots(len(rows), 2, figsize=(12, 4.6 * len(rows)), squeeze=False, layout="constrained")
    for (acc_ax, other_ax), row in zip(axes, rows):
        if row == "pure":
            top_row(acc_ax, other_ax, groups, pure)
        else:
            steps = {mnist.switch_step(r) for o in switching for r in groups["train_acc"][o]["runs"]}
            bottom_row(acc_ax, other_ax, groups, switching, references, steps)
    fig.suptitle(f"Fig. 13: MNIST, α = {alpha:g}, median and min–max over {seed_text(runs)}")
    return fig, Table(table_row(o, groups["train_acc"][o]) for o in settings)


def draw(run_dir, out_png, alpha: float = ALPHA) -> Table:
    """Fig. 13 of the MNIST runs at α in `run_dir` to `out_png`; returns per-setting spreads."""
    runs = mnist.load_mnist(run_dir, "fig13", lambda r: mnist.same_alpha(r, alpha), f"mnist runs at α = {alpha:g}")
    fig, table = figure([r for r in runs if mnist.same_alpha(r, alpha)], alpha)
    save(fig, out_png)
    return table

