"""Claims of Fig. 11 (Appendix C): MNIST with softmax cross-entropy on 200 digits, α = 100, weight
decay 0.01, SGD / Adam / GGN (docs/claims.md): a fit to machine zero, a test plateau near 55 %, a
jump to about 75 % as the weight norm decays, and the three optimizers alike.
"""
from __future__ import annotations

import math

import numpy as np

from .. import fig11_ce, measures, mnist
from ..runs import Run
from .core import Need, NotRun, Outcome, bounds_text, claim, crossing, every, flat, number, ratio

FIG11 = Need(("fig11_mnist_ce", "fig11"), ("smoke_fig11_mnist_ce",))
JUMP_ACCURACY = 0.7  # jobs/fig11_mnist_ce.toml's run.grokking_test_accuracy: between ~55 % and ~75 %
PLATEAU_BAND = (0.45, 0.65)  # "plateau around 55 %", ± 10 points
JUMP_BAND = (0.65, 0.85)  # "a subsequent jump to 75 %", ± 10 points
NORM_AT_JUMP = 0.1  # "due to the weights decaying": ‖θ‖ at the jump ≤ 10 % of ‖θ₀‖
ALIKE = 2.0  # "behave essentially like Adam": jump steps within a factor 2 of each other


def optimizer_runs(runs: list[Run]) -> dict[str, Run]:
    """{optimizer: its first run} for SGD, Adam and GGN, all three required."""
    chosen = {}
    for run in runs:
        if fig11_ce.is_fig11_run(run):
            chosen.setdefault(run.optimizer, mnist.check(run, ("weight_norm",)))
    missing = [mnist.setting_name(o) for o in fig11_ce.COLUMNS if o not in chosen]
    if missing:
        raise NotRun(f"no cross-entropy MNIST run of {', '.join(missing)}")
    return {o: chosen[o] for o in fig11_ce.COLUMNS}


def names(runs: dict) -> str:
    return ", ".join(mnist.setting_name(o) for o in runs)


@claim("fig11.train_loss_machine_zero", "Every optimizer drives the training loss to (machine) zero", FIG11)
def train_loss_zero(runs):
    chosen = optimizer_runs(runs)
    reached = [crossing(r, "train_loss", fig11_ce.FLOOR, below=True) for r in chosen.values()]
    holds = every(math.isfinite(b.value) if b.exact else None for b in reached)
    return Outcome(holds, f"train loss < {fig11_ce.FLOOR:g} first at ({names(chosen)}): {bounds_text(reached)}",
                   list(chosen.values()), settled=holds is not None)


def plateau_and_final(run: Run) -> tuple[float, float]:
    """(median test accuracy from the fit to the jump, or to the end without one; final test accuracy)."""
    fit = crossing(run, "train_acc", 0.99)
    if not math.isfinite(fit.value):
        return math.nan, mnist.final(run, "test_acc")
    jump = crossing(run, "test_acc", JUMP_BAND[0], after=fit.value)
    steps, test = measures.curve(run.history["step"], run.history["test_acc"])
    between = test[(steps >= fit.value) & (steps < jump.value)]
    return float(np.median(between)) if between.size else math.nan, mnist.final(run, "test_acc")


@claim("fig11.plateau_then_jump", "Test accuracy plateaus near 55 %, then jumps to about 75 %, for all", FIG11)
def plateau_then_jump(runs):
    chosen = optimizer_runs(runs)
    values = {o: plateau_and_final(r) for o, r in chosen.items()}
    inside = [PLATEAU_BAND[0] <= p <= PLATEAU_BAND[1] and JUMP_BAND[0] <= f <= JUMP_BAND[1] for p, f in values.values()]
    text = ", ".join(f"{mnist.setting_name(o)} {number(p)} → {number(f)}" for o, (p, f) in values.items())
    return Outcome(all(inside), f"test acc plateau (median from the fit) → final: {text}", list(chosen.values()))


@claim("fig11.jump_with_norm_decay", "The jump in test accuracy comes as the weight norm decays", FIG11)
def jump_with_norm_decay(runs):
    chosen = optimizer_runs(runs)
    parts, decayed = [], []
    for optimizer, run in chosen.items():
        jump = crossing(run, "test_acc", JUMP_ACCURACY)
        if math.isfinite(jump.value):
            norm = run.history["weight_norm"]
            left = ratio(measures.value_at(run.history["step"], norm, jump.value), norm[0])
            decayed.append(left <= NORM_AT_JUMP)
            parts.append(f"{mnist.setting_name(optimizer)} at step {jump.text()}: "
                         f"‖θ‖/‖θ₀‖ = {number(left)}")
        else:
            parts.append(f"{mnist.setting_name(optimizer)} test never ≥ {JUMP_ACCURACY:g}")
    holds = bool(decayed) and all(decayed)
    return Outcome(holds, f"at test acc ≥ {JUMP_ACCURACY:g}: {'; '.join(parts)}", list(chosen.values()))


@claim("fig11.optimizers_alike", "SGD and GGN behave essentially like Adam (only weight decay acts)", FIG11)
def optimizers_alike(runs):
    chosen = optimizer_runs(runs)
    jumps = [crossing(r, "test_acc", JUMP_ACCURACY) for r in chosen.values()]
    holds = flat(jumps, ALIKE)
    return Outcome(holds, f"test acc ≥ {JUMP_ACCURACY:g} first at ({names(chosen)}): {bounds_text(jumps)}",
                   list(chosen.values()), settled=holds is not None)
