"""Claims of Figs. 5 and 6: grokking induced by a scale (s for the modular-addition MLP, α for the
polynomial teacher), SGD/GD vs LM (docs/claims.md). The delay is the test crossing minus the train
crossing of one run; the claims compare it across the scale.
"""
from __future__ import annotations

import math

import numpy as np

from .. import fig5_modular, fig6_polynomial, measures
from ..runs import Run
from .core import Need, NotRun, bounds_text, claim, decided, every, finished, first_per, flat, grokking, grows, per_seed

FIG5 = Need(("fig5_modular_mlp", "fig5"), ("smoke_fig5_modular_mlp",))
FIG6 = Need(("fig6_polynomial", "fig6"), ("smoke_fig6_polynomial",))
FIG5_TEST_ACCURACY = 0.9  # jobs/fig5_modular_mlp.toml's run.grokking_test_accuracy
# Fig. 6 losses are normalised by their value at step 0. The test loss of GD plateaus at 0.27 (α = 4)
# and 0.56 (α = 16), above 0.1, so "generalised" is the test loss halved (docs/grokking-study.md).
TRAIN_FALL, TEST_FALL = 0.1, 0.5
RAY_FALL = 0.1  # a ray's error has "converged" once below 0.1 × its peak
GROWTH = 3.0  # "delay grows with the scale": non-decreasing, and ≥ 3× from the smallest to the largest
FLATNESS = 2.0  # "independent of the scale": largest / smallest delay at most this
REDUCTION = 0.5  # "greatly reduces": LM's delay at most half of GD's at the largest α
TOGETHER = 3.0  # rays "at roughly the same time": test-ray step ≤ 3 × train-ray step (half a decade, log-x)


def swept(runs: list[Run], task: str, optimizer: str, scale, what: str) -> list[tuple[float, Run]]:
    """(scale, run) for each scale value of the optimizer's runs of `task` (the first run of each),
    smallest scale first; NotRun unless there are two scales at least."""
    chosen = first_per([r for r in runs if r.task == task and r.optimizer == optimizer], scale)
    if not chosen:
        raise NotRun(f"no {what} run of {task}")
    if len(chosen) < 2:
        raise NotRun(f"{what} runs at one scale only")
    return sorted(chosen.items())


def scale_text(symbol: str, pairs) -> str:
    return f"{symbol} = {', '.join(f'{s:g}' for s, _ in pairs)}"


def modular_delays(runs: list[Run], optimizer: str):
    pairs = swept(runs, fig5_modular.TASK, optimizer, fig5_modular.scale, optimizer.upper())
    return pairs, [grokking(run, FIG5_TEST_ACCURACY)[2] for _, run in pairs]


@claim("fig5.sgd_delay_grows_with_s", "SGD: grokking (test long after train) appears and grows as s grows", FIG5)
def sgd_delay_grows(runs):
    def one_seed(seed_runs):
        pairs, delays = modular_delays(seed_runs, "sgd")
        return decided(grows(delays, GROWTH), f"SGD delay train ≥ 0.99 → test ≥ {FIG5_TEST_ACCURACY:g} at "
                                             f"{scale_text('s', pairs)}: {bounds_text(delays)}", (r for _, r in pairs))
    return per_seed(runs, one_seed)


@claim("fig5.lm_delay_flat_in_s", "LM: the test dynamics are nearly the same for every s (short, flat delay)", FIG5)
def lm_delay_flat(runs):
    def one_seed(seed_runs):
        pairs, delays = modular_delays(seed_runs, "lm")
        return decided(flat(delays, FLATNESS), f"LM delay train ≥ 0.99 → test ≥ {FIG5_TEST_ACCURACY:g} at "
                                              f"{scale_text('s', pairs)}: {bounds_text(delays)}", (r for _, r in pairs))
    return per_seed(runs, one_seed)


def loss_delay(run: Run) -> measures.Bound:
    """Normalised train loss < TRAIN_FALL → normalised test loss < TEST_FALL."""
    done = finished(run)
    train = measures.crossing(*fig6_polynomial.normalised(run, "train_loss"), TRAIN_FALL, done, below=True)
    test = measures.crossing(*fig6_polynomial.normalised(run, "test_loss"), TEST_FALL, done, below=True)
    return measures.delay(train, test)


def polynomial_delays(runs: list[Run], optimizer: str):
    pairs = swept(runs, fig6_polynomial.TASK, optimizer, fig6_polynomial.alpha, fig6_polynomial.NAMES[optimizer])
    return pairs, [loss_delay(run) for _, run in pairs]


def delay_text(name: str, pairs, delays) -> str:
    return (f"{name} delay train < {TRAIN_FALL:g} → test < {TEST_FALL:g} (loss / initial) at "
            f"{scale_text('α', pairs)}: {bounds_text(delays)}")


@claim("fig6.gd_delay_grows_with_alpha", "GD: the delay between train and test loss grows as α → ∞", FIG6)
def gd_delay_grows(runs):
    def one_seed(seed_runs):
        pairs, delays = polynomial_delays(seed_runs, "sgd")
        return decided(grows(delays, GROWTH), delay_text("GD", pairs, delays), (r for _, r in pairs))
    return per_seed(runs, one_seed)


@claim("fig6.lm_delay_flat_in_alpha", "LM: the gap between training and generalisation is independent of α", FIG6)
def lm_delay_flat_alpha(runs):
    def one_seed(seed_runs):
        pairs, delays = polynomial_delays(seed_runs, "lm")
        return decided(flat(delays, FLATNESS), delay_text("LM", pairs, delays), (r for _, r in pairs))
    return per_seed(runs, one_seed)


@claim("fig6.lm_reduces_delay", "Preconditioning greatly reduces the delay when α is large", FIG6)
def lm_reduces_delay(runs):
    def one_seed(seed_runs):
        gd_pairs, gd = polynomial_delays(seed_runs, "sgd")
        lm_pairs, lm = polynomial_delays(seed_runs, "lm")
        common = sorted(set(a for a, _ in gd_pairs) & set(a for a, _ in lm_pairs))
        if not common:
            raise NotRun("no α with both a GD and an LM run")
        alpha = common[-1]
        gd_delay = gd[[a for a, _ in gd_pairs].index(alpha)]
        lm_delay = lm[[a for a, _ in lm_pairs].index(alpha)]
        holds = False if lm_delay.exact and math.isinf(lm_delay.value) else measures.at_most(lm_delay, gd_delay.times(
            REDUCTION))
        runs_used = [dict(gd_pairs)[alpha], dict(lm_pairs)[alpha]]
        return decided(holds, f"at α = {alpha:g}: GD delay {gd_delay.text()}, LM delay {lm_delay.text()}", runs_used)
    return per_seed(runs, one_seed)


def ray_crossing(run: Run, ray: str) -> measures.Bound:
    """When the error of the highest ray mode (k = m/2) first falls below RAY_FALL × its peak,
    after the peak (the (1, …, 1) ray's error rises before it falls)."""
    column, _ = fig6_polynomial.check(run, None)
    subspace = run.subspace
    steps, errors = measures.curve(subspace.step, getattr(subspace, ray)[:, column])
    if not errors.size or not np.isfinite(errors).any():
        return measures.Bound(math.nan)
    peak = int(np.nanargmax(errors))
    return measures.crossing(steps, errors / errors[peak], RAY_FALL, finished(run), below=True, after=steps[peak])


def rays(runs: list[Run], optimizer: str):
    pairs = swept(runs, fig6_polynomial.TASK, optimizer, fig6_polynomial.alpha, fig6_polynomial.NAMES[optimizer])
    return pairs, [(ray_crossing(r, "train"), ray_crossing(r, "test")) for _, r in pairs]


def rays_text(name: str, pairs, crossings) -> str:
    return f"{name} rays < {RAY_FALL:g} × peak, train / (1,…,1) step: " + "; ".join(
        f"α = {a:g}: {train.text()} / {test.text()}" for (a, _), (train, test) in zip(pairs, crossings))


@claim("fig6.gd_rays_apart", "GD: the train-ray error falls early, the (1,…,1)-ray error later the larger α", FIG6)
def gd_rays_apart(runs):
    def one_seed(seed_runs):
        pairs, crossings = rays(seed_runs, "sgd")
        gaps = [measures.delay(train, test) for train, test in crossings]
        return decided(grows(gaps, GROWTH), rays_text("GD", pairs, crossings), (r for _, r in pairs))
    return per_seed(runs, one_seed)


@claim("fig6.lm_rays_together", "LM: train- and test-ray errors converge at roughly the same time", FIG6)
def lm_rays_together(runs):
    def one_seed(seed_runs):
        pairs, crossings = rays(seed_runs, "lm")
        together = []
        for train, test in crossings:
            if math.isnan(train.value) or (train.exact and math.isinf(train.value)):
                together.append(False)  # the train ray never converged: nothing to be together with
            else:
                together.append(measures.at_most(test, measures.Bound(max(train.value, 1.0), train.exact).times(
                    TOGETHER)))
        return decided(every(together), rays_text("LM", pairs, crossings), (r for _, r in pairs))
    return per_seed(runs, one_seed)
