"""Claims of Figs. 3 and 9: how the residual's Fourier modes (1-D) or radial shells (2-D) decay
under SGD, LM and GN (docs/claims.md). A mode's rate is the least-squares slope of ln e_k per step
over an early window of the run, in the lazy phase before GN reaches its floor.
"""
from __future__ import annotations

import math

import numpy as np

from .. import fig9_spectral2d, measures
from ..fig3_spectral import MODES, check_spectrum
from ..mnist import final
from ..panels import title
from ..runs import Run
from .core import Need, Outcome, choose, claim, every, number, optimizer_is, per_seed, pick, ratio

FIG3 = Need(("fig3_regression1d", "fig3_seeds"))
FIG9 = Need(("fig9_regression2d", "fig9"), ("smoke_fig9_regression2d",))
# GN contracts every mode by (1 − η) per step: by 0.13 over the first 200 of Fig. 3's 2 000 steps,
# well before its floor near step 1 000 (EXPERIMENTS.md §1).
FIG3_EARLY = (0.0, 0.1)
FIG9_EARLY = (0.0, 0.2)  # steps 0–1 000 of 5 000, the window of docs/fig9-fig4-study.md
LATE = (0.5, 1.0)
LEMMA_BAND = (0.5, 1.5)  # every mode's rate within this factor of ln(1 − η) (Lemma 3.3)
SPREAD = 2.0  # "uniform": fastest / slowest shell rate at most this
LM_SLACK = 1.1  # LM with a small μ may match GN: "between" allows it 10 % beyond GN's mean rate
HIGH_MODES = (7, 8, 9)
LOW_FALL, HIGH_KEEP = 0.1, 0.5  # SGD: mode 0 falls ≥ 10×, modes 7–9 keep ≥ half their error
FLOOR_RATIO = 0.2  # GN's late loss slope at most this fraction of its early slope: the lazy phase ended
PGD_GAIN = 100.0  # LM and GN end ≥ 100× below SGD's training loss (docs/fig3-init-study.md)


def is_fig3_run(run: Run) -> bool:
    return run.task == "regression1d"


def is_fig9_run(run: Run) -> bool:
    return run.task == "regression2d"


def spectrum(run: Run):
    """(steps, errors (S, M), wave numbers (M,)): the 1-D modes or the 2-D radial shells."""
    if is_fig9_run(run):
        spec = fig9_spectral2d.spectrum(run)
        return spec.step, spec.shell_error, spec.shells
    check_spectrum(run)
    return run.spectral_step, run.fft_error, run.spectral_modes


def mode_curve(run: Run, k: int):
    """(steps, e_k) of wave number / shell k (e_k NaN where the file has no such column)."""
    steps, errors, wave_numbers = spectrum(run)
    columns = np.flatnonzero(wave_numbers == k)
    rows = min(len(steps), errors.shape[0])
    values = errors[:rows, columns[0]] if columns.size else np.full(rows, math.nan)
    return steps[:rows], values


def mode_rates(run: Run, window: tuple[float, float], count: int = MODES) -> np.ndarray:
    """Log-slope per step of e_0 … e_{count−1} over the window (fractions of the run)."""
    steps = mode_curve(run, 0)[0]
    first, last = measures.window(steps, *window)
    return np.array([measures.log_slope(*mode_curve(run, k), first, last) for k in range(count)])


def lemma_rates(run: Run, window=FIG3_EARLY) -> np.ndarray:
    """Mode rates in units of Lemma 3.3's GN rate ln(1 − η): 1 means "as GN should"."""
    eta = float(run.config.get("optimizer", {}).get("lr", math.nan))
    return mode_rates(run, window) / math.log1p(-eta)


def mean_rate(run: Run) -> float:
    """Mean of lemma_rates over the modes the file has (NaN if none)."""
    rates = lemma_rates(run)
    rates = rates[np.isfinite(rates)]
    return float(rates.mean()) if rates.size else math.nan


def range_text(values: np.ndarray) -> str:
    """'0.01 (k=8) … 1.29 (k=0)': the slowest and the fastest mode."""
    if np.isnan(values).all():
        return "no modes"
    lo, hi = int(np.nanargmin(values)), int(np.nanargmax(values))
    return f"{number(values[lo])} (k={lo}) … {number(values[hi])} (k={hi})"


def spectral_bias(run: Run) -> Outcome:
    """SGD's low mode falls, its high modes stay: e_0(T)/e_0(0) ≤ LOW_FALL and the median of
    e_k(T)/e_k(0), k = 7…9, ≥ HIGH_KEEP at the last recorded step T."""
    steps = mode_curve(run, 0)[0]
    low = measures.decay_factor(*mode_curve(run, 0), steps[-1])
    high = float(np.median([measures.decay_factor(*mode_curve(run, k), steps[-1]) for k in HIGH_MODES]))
    return Outcome(low <= LOW_FALL and high >= HIGH_KEEP,
                   f"at step {steps[-1]}: e_0 × {number(low)}, e_7…9 × {number(high)} (median)", [run])


@claim("fig3.gn_uniform_decay", "GN: all ten modes decay exponentially at one rate, Lemma 3.3's ln(1 − η)", FIG3)
def gn_uniform_decay(runs):
    def one_seed(seed_runs):
        gn = pick(seed_runs, optimizer_is("gn"), "GN run")
        rates = lemma_rates(gn)
        inside = (rates >= LEMMA_BAND[0]) & (rates <= LEMMA_BAND[1])
        return Outcome(bool(inside.all()), f"rate / ln(1−η): {range_text(rates)}, {inside.sum()}/{MODES} in band",
                       [gn])
    return per_seed(choose(runs, is_fig3_run, "regression1d run"), one_seed)


@claim("fig3.lm_interpolates", "LM's mode rates lie between SGD's and GN's, and approach GN's as μ → 0", FIG3)
def lm_interpolates(runs):
    def one_seed(seed_runs):
        sgd = pick(seed_runs, optimizer_is("sgd"), "SGD run")
        gn = pick(seed_runs, optimizer_is("gn"), "GN run")
        lms = sorted(choose(seed_runs, optimizer_is("lm"), "LM run"), key=lambda r: -r.mu)  # SGD-like first
        chain = [sgd, *lms, gn]
        mean = [mean_rate(r) for r in chain]
        order = [a < b for a, b in zip(mean[:-2], mean[1:-1])] + [mean[-2] <= LM_SLACK * mean[-1]]
        text = ", ".join(f"{title(r)} {number(m)}" for r, m in zip(chain, mean))
        return Outcome(every(order), f"mean rate / ln(1−η): {text}", chain)
    return per_seed(choose(runs, is_fig3_run, "regression1d run"), one_seed)


@claim("fig3.sgd_spectral_bias", "SGD learns the lowest mode; modes 7–9 stay near their initial error", FIG3)
def fig3_sgd_bias(runs):
    return per_seed(choose(runs, is_fig3_run, "regression1d run"),
                    lambda seed_runs: spectral_bias(pick(seed_runs, optimizer_is("sgd"), "SGD run")))


@claim("fig3.pgd_beats_sgd", "PGD (LM, GN) greatly accelerates convergence: final loss far below SGD's", FIG3)
def pgd_beats_sgd(runs):
    def one_seed(seed_runs):
        sgd = pick(seed_runs, optimizer_is("sgd"), "SGD run")
        pgd = choose(seed_runs, lambda r: r.optimizer in ("lm", "gn"), "LM or GN run")
        gains = [ratio(final(sgd, "train_loss"), final(r, "train_loss")) for r in pgd]
        text = ", ".join(f"{title(r)} {number(g)}×" for r, g in zip(pgd, gains))
        return Outcome(all(g >= PGD_GAIN for g in gains), f"SGD final loss / PGD's: {text}", [sgd, *pgd])
    return per_seed(choose(runs, is_fig3_run, "regression1d run"), one_seed)


@claim("fig3.gn_lazy_floor", "GN's exponential phase ends: a clear kink where the lazy regime is exhausted", FIG3)
def gn_lazy_floor(runs):
    def one_seed(seed_runs):
        gn = pick(seed_runs, optimizer_is("gn"), "GN run")
        steps, loss = gn.history["step"], gn.history["train_loss"]
        early = measures.log_slope(steps, loss, *measures.window(steps, *FIG3_EARLY))
        late = measures.log_slope(steps, loss, *measures.window(steps, *LATE))
        return Outcome(early < 0 and abs(late) <= FLOOR_RATIO * abs(early),
                       f"loss slope first 10 %: {number(early)}/step, last 50 %: {number(late)}/step", [gn])
    return per_seed(choose(runs, is_fig3_run, "regression1d run"), one_seed)


@claim("fig9.gn_uniform_decay", "GN: the first ten radial shells decay at a uniform exponential rate", FIG9)
def fig9_gn_uniform(runs):
    def one_seed(seed_runs):
        gn = pick(seed_runs, optimizer_is("gn"), "GN run")
        rates = mode_rates(gn, FIG9_EARLY)
        spread = float(np.min(rates) / np.max(rates)) if (rates < 0).all() else math.inf  # rates < 0
        return Outcome(spread <= SPREAD, f"shell rates, first 20 %: {number(rates.max())} … {number(rates.min())}"
                                         f"/step, fastest/slowest {number(spread)}", [gn])
    return per_seed(choose(runs, is_fig9_run, "regression2d run"), one_seed)


@claim("fig9.sgd_spectral_bias", "SGD orders the shells by frequency: shell 0 falls, shells 7–9 stay", FIG9)
def fig9_sgd_bias(runs):
    return per_seed(choose(runs, is_fig9_run, "regression2d run"),
                    lambda seed_runs: spectral_bias(pick(seed_runs, optimizer_is("sgd"), "SGD run")))
