"""Paper Fig. 7: optimizer switching on MNIST, α = 8 (EXPERIMENTS.md §6): LM for the first 2 000
steps, then AdamW for 20 000, from `pgdx train jobs/fig7_mnist_switch.toml`.

Left: train (solid) and test (dotted) accuracy vs step; right: train and test MSE loss (log-y);
both log-x, with a black vertical line at the switch step (/phases/end_step[0]). Pure AdamW and
pure LM runs of the same α and seed in the folder (e.g. the α = 8 files of jobs/fig1_mnist.toml)
are drawn as references: LM alone in translucent grey, AdamW alone thin in its Fig. 1 colour.
Other runs in the folder (other tasks, α or seeds) are skipped.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from . import mnist  # noqa: E402
from .panels import Table, save, seed_text  # noqa: E402
from .runs import Run  # noqa: E402

REFERENCES = ("adamw", "lm")
# Reference styles: LM alone is the plateau the switch escapes from, so it stays in the background.
REFERENCE_STYLE = {"lm": dict(color="0.45", lw=1.3, alpha=0.55), "adamw": dict(color=mnist.colour("adamw"), lw=0.8)}
SWITCH_COLOURS = [mnist.colour(mnist.SWITCH), "C1", "C0", "C6", "C8", "C9"]
LOSSES = ("train_loss", "test_loss")


def switching_order(run: Run):
    return (run.alpha, run.attrs.get("seed", 0), run.optimizer, run.name)


def phase_text(run: Run) -> str:
    """'LM for 2000 steps, then AdamW'."""
    first, *rest = (mnist.setting_name(p) for p in run.optimizer.split("+"))
    return f"{first} for {mnist.switch_step(run)} steps, then {', then '.join(rest) or '?'}"


def references(run: Run, pure: list[Run]) -> list[Run]:
    """The pure AdamW and LM runs with the switching run's α and seed, AdamW first."""
    seed = run.attrs.get("seed")
    return sorted((r for r in pure if r.optimizer in REFERENCES and mnist.same_alpha(r, run.alpha)
                   and r.attrs.get("seed") == seed), key=lambda r: (REFERENCES.index(r.optimizer), r.name))


def switch_label(run: Run, several: bool) -> str:
    extra = f", α = {run.alpha:g}, seed {run.attrs.get('seed', '?')}" if several else ""
    return mnist.setting_name(run.optimizer) + extra + mnist.status_text(run)


def table_row(run: Run, label: str, switch) -> dict:
    return {"run": label, "α": run.alpha, "seed": run.attrs.get("seed", "?"), "status": run.status,
            **mnist.run_row(run), "switch step": switch, "file": run.path.name}


def _both(acc_ax, loss_ax, run: Run, label: str, **style) -> None:
    mnist.accuracy(acc_ax, run, label=label, **style)
    mnist.accuracy(loss_ax, run, label=label, quantities=LOSSES, **style)


def figure(runs: list[Run]):
    """Fig. 7 of the switching runs among `runs`, with their references: (figure, Table)."""
    switching = sorted((r for r in runs if r.is_switching), key=switching_order)
    pure = [r for r in runs if not r.is_switching]
    several = len(switching) > 1
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    table, drawn = Table(), set()
    for i, run in enumerate(switching):
        label = switch_label(run, several)
        table.append(table_row(run, label, mnist.switch_step(run)))
        for ref in references(run, pure):
            if ref.path in drawn:  # shared by several switching runs of one seed
                continue
            drawn.add(ref.path)
            ref_label = f"{mnist.setting_name(ref.optimizer)} alone" + (
                f", seed {ref.attrs.get('seed', '?')}" if several else "") + mnist.status_text(ref)
            style = REFERENCE_STYLE[ref.optimizer]
            _both(acc_ax, loss_ax, ref, ref_label, colour=style["color"], lw=style["lw"],
                  alpha=style.get("alpha", 1.0))
            table.append(table_row(ref, f"{mnist.setting_name(ref.optimizer)} (reference)", "-"))
        # Drawn after its references, so that it lies on top of them.
        _both(acc_ax, loss_ax, run, label, colour=SWITCH_COLOURS[i % len(SWITCH_COLOURS)], lw=1.8)
    mnist.switch_lines((acc_ax, loss_ax), {mnist.switch_step(r) for r in switching})
    mnist.accuracy_axes(acc_ax, "accuracy")
    mnist.log_x(loss_ax, "MSE loss", "loss")
    loss_ax.set_yscale("log")
    mnist.legend(acc_ax, loc="best")
    loss_ax.legend(handles=mnist.style_handles(), fontsize="small", loc="lower left")
    alphas = ", ".join(sorted({f"{r.alpha:g}" for r in switching}))
    phases = "; ".join(dict.fromkeys(phase_text(r) for r in switching))
    fig.suptitle(f"Fig. 7: MNIST, {phases} (α = {alphas}, {seed_text(switching)})")
    return fig, table


def draw(run_dir, out_png) -> Table:
    """Fig. 7 of the switching runs in `run_dir` to `out_png`; returns their final values and
    those of the references drawn."""
    runs = mnist.load_mnist(run_dir, "fig7", lambda r: r.is_switching,
                            f"an optimizer-switching mnist run (optimizer like {mnist.SWITCH!r})")
    fig, table = figure(runs)
    save(fig, out_png)
    return table
