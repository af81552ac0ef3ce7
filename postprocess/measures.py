"""Generic measurables of a recorded curve, shared by the figures' tables and `postprocess claims`.

A curve is (steps, values) as a run file records it: steps increasing, often log-spaced. A file
still being written may be one row short in one column, so every function uses the common length.

Crossing steps of a run in progress are only known once they have happened: Bound carries a step
count that is either exact or only a lower bound ("not yet, by step N"), and at_most / before
compare two of them only when the answer can no longer change.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np


def curve(steps, values):
    """(steps, values) cut to their common length, values as float."""
    steps, values = np.asarray(steps), np.asarray(values, dtype=float)
    rows = min(len(steps), len(values))
    return steps[:rows], values[:rows]


def first_crossing(steps, values, threshold: float, below: bool = False, after=None):
    """The first recorded step (> `after`, if given) at which the curve reaches the threshold —
    value ≥ threshold (pgdx's grokking rule), or value < threshold with below=True (a loss that
    falls below it); None if no record does."""
    steps, values = curve(steps, values)
    hit = values < threshold if below else values >= threshold
    if after is not None:
        hit &= steps > after
    hits = np.flatnonzero(hit)
    return int(steps[hits[0]]) if hits.size else None


def window(steps, start: float, end: float) -> tuple[float, float]:
    """(first, last) step of the part of the run between the fractions start and end of its last
    recorded step, e.g. (0, 0.1) is the first tenth of the run."""
    last = float(np.asarray(steps)[-1]) if len(steps) else 0.0
    return start * last, end * last


def log_slope(steps, values, first: float, last: float) -> float:
    """Least-squares slope of ln(value) per step over the records with first ≤ step ≤ last, from
    the finite positive values only (NaN with fewer than two): e(t) = e₀·qᵗ gives ln q."""
    steps, values = curve(steps, values)
    keep = (steps >= first) & (steps <= last) & np.isfinite(values) & (values > 0)
    if np.count_nonzero(keep) < 2:
        return math.nan
    return float(np.polyfit(steps[keep].astype(float), np.log(values[keep]), 1)[0])


def running_geometric_mean(steps, values, width: float) -> np.ndarray:
    """At every record s: exp of the mean of ln(value) over the records with |step − s| ≤ width/2,
    the window narrowed near the first step so that it stays centred (the first value is kept).
    Finite positive values only (NaN where a window has none): the trend of a curve with
    multiplicative noise, such as minibatch steps give, drawn on a log scale."""
    steps, values = curve(steps, values)
    steps = steps.astype(float)
    keep = np.isfinite(values) & (values > 0)
    logs = np.log(np.where(keep, values, 1.0), where=keep, out=np.zeros(values.shape))
    sums = np.concatenate([[0.0], np.cumsum(logs)])
    counts = np.concatenate([[0], np.cumsum(keep)])
    half = np.minimum(width / 2, steps - steps[0]) if steps.size else steps
    lo = np.searchsorted(steps, steps - half, side="left")
    hi = np.searchsorted(steps, steps + half, side="right")
    count = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.exp((sums[hi] - sums[lo]) / np.maximum(count, 1)), np.nan)


def value_at(steps, values, step: float) -> float:
    """The value of the last record at or before `step` (NaN if there is none)."""
    steps, values = curve(steps, values)
    rows = np.flatnonzero(steps <= step)
    return float(values[rows[-1]]) if rows.size else math.nan


def factor_between(steps, values, start: float, end: float) -> float:
    """value_at(end) / value_at(start): how far the curve moved from `start` to `end`, e.g. Fig. 10's
    train-loss fall from the fit to the last step (±inf or NaN, without a warning, when the value at
    `start` is 0: a loss can reach exactly 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(value_at(steps, values, end)) / np.float64(value_at(steps, values, start)))


def decay_factor(steps, values, step: float) -> float:
    """value_at(step) / the first record's value: how far the curve has fallen by `step`."""
    steps, values = curve(steps, values)
    if not values.size:
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(value_at(steps, values, step)) / values[0])


def plateau(steps, values, fraction: float = 0.2) -> float:
    """Median of the records in the last `fraction` of the run's steps: where the curve has settled
    (a log schedule records few late steps, so a fraction of the records would reach far back)."""
    steps, values = curve(steps, values)
    if not values.size:
        return math.nan
    return float(np.median(values[steps >= (1.0 - fraction) * steps[-1]]))


@dataclasses.dataclass(frozen=True)
class Bound:
    """A step count (or a difference of two) known exactly, or with exact=False only from below:
    a run in progress has not got there yet. inf: a finished run never got there; NaN: undefined
    (e.g. a delay from a crossing that never happened)."""

    value: float
    exact: bool = True

    def times(self, factor: float) -> "Bound":
        return Bound(self.value * factor, self.exact)

    @property
    def upper(self) -> float:
        return self.value if self.exact else math.inf

    def text(self) -> str:
        if math.isnan(self.value):
            return "undefined" if self.exact else "not yet defined"
        if math.isinf(self.value):
            return "never"
        return f"{self.value:g}" if self.exact else f"> {self.value:g} so far"


def crossing(steps, values, threshold: float, finished: bool, below: bool = False, after=None) -> Bound:
    """first_crossing as a Bound: exact once it happened; inf if a finished run never got there;
    for a run in progress that has not, at least one step past its last record."""
    step = first_crossing(steps, values, threshold, below, after)
    if step is not None:
        return Bound(float(step))
    if finished:
        return Bound(math.inf)
    return Bound(float(np.asarray(steps)[-1]) + 1 if len(steps) else 0.0, exact=False)


def half_drop(steps, values, finished: bool) -> Bound:
    """The curve's own half-way step: the first record at which the value is at most
    (values[0] + final)/2, final its last value — when it has made half of its total fall,
    whatever level it ends at (a loss that plateaus high still has one). inf if a finished curve
    never fell (final ≥ start); for a run in progress a lower bound, since a later, lower final
    value only moves the half-way point later."""
    steps, values = curve(steps, values)
    if not values.size or not np.isfinite(values[[0, -1]]).all():
        return Bound(math.nan, finished)
    start, final = float(values[0]), float(values[-1])
    if final >= start:
        return Bound(math.inf) if finished else Bound(float(steps[-1]) + 1, exact=False)
    hits = np.flatnonzero(values <= 0.5 * (start + final))
    return Bound(float(steps[hits[0]]), exact=finished)


def delay(first: Bound, second: Bound) -> Bound:
    """second − first, e.g. the grokking delay = test crossing − train crossing. Undefined (NaN)
    unless the first crossing is known; a lower bound while the second is not yet; inf if a
    finished run never made the second."""
    if not first.exact or math.isinf(first.value) or math.isnan(first.value):
        return Bound(math.nan, first.exact)
    return Bound(second.value - first.value, second.exact)


def at_most(a: Bound, b: Bound):
    """a ≤ b: True or False once the unknown parts cannot change it, else None (NaN: None)."""
    if math.isnan(a.value) or math.isnan(b.value):
        return None
    if a.upper <= b.value:
        return True
    if a.value > b.upper:
        return False
    return None


def before(a: Bound, b: Bound):
    """a < b: True or False once the unknown parts cannot change it, else None (NaN: None)."""
    if math.isnan(a.value) or math.isnan(b.value):
        return None
    if a.upper < b.value:
        return True
    if a.value >= b.upper:
        return False
    return None
