"""Claims of Figs. 8 and 12: modular addition (p = 97) learned by a transformer, Adam vs GGN-CG, and
GGN for 3 000 steps then Adam (docs/claims.md). These runs take hours to days on 2 cores, so they are
often judged while still being written: crossings decide early, plateaus only at the end.
"""
from __future__ import annotations

import math

from .. import fig8_transformer, fig12_continuation, measures, mnist
from ..runs import Run
from .core import (Need, NotRun, Outcome, claim, crossing, decided, every, finished, number, optimizer_is, per_seed,
                   pick, ratio)

FIG8 = Need(("fig8_transformer", "fig8"), ("smoke_fig8_transformer", "smoke_fig8"))
FIG12 = Need(("fig12_continuation", "fig12"), ("smoke_fig12_continuation", "smoke_fig12"))
RISE = 0.3  # validation accuracy clearly above chance (1/97) and below GGN's 45 % plateau
TRAIN_FIT = 1.0  # "training accuracy reaching 100 %"
PLATEAU_BAND = (0.35, 0.55)  # "final validation stagnates severely (45 %)", ± 10 points
FULL = 0.95  # Adam's "nearly 100 %" validation accuracy
TAIL = 0.2  # plateaus: median over the last 20 % of the run's steps
FLAT_FALL = 0.9  # "static (even slightly increasing)": over GGN's second half the loss falls ≤ 10 %
SPIKE = 2.0  # "spikes dramatically": peak within 500 steps after the switch ≥ 2× the loss at it
GENERALISED = fig8_transformer.VALIDATION  # 0.99: "full generalization"
COMPARABLE = (0.5, 2.0)  # Adam steps after the switch / Adam alone's, "a comparable amount"


def fig8_runs(runs: list[Run]) -> list[Run]:
    return [fig8_transformer.check(r) for r in runs if fig8_transformer.is_fig8_run(r)]


@claim("fig8.ggn_earlier_validation_rise", "GGN raises the validation accuracy earlier than Adam", FIG8)
def ggn_earlier_rise(runs):
    def one_seed(seed_runs):
        adam, ggn = (pick(seed_runs, optimizer_is(o), f"{mnist.setting_name(o)} run") for o in ("adam", "ggn"))
        adam_rise, ggn_rise = (crossing(r, "test_acc", RISE) for r in (adam, ggn))
        text = f"validation acc ≥ {RISE:g} first at GGN {ggn_rise.text()}, Adam {adam_rise.text()}"
        return decided(measures.before(ggn_rise, adam_rise), text, [ggn, adam])
    return per_seed(fig8_runs(runs), one_seed)


@claim("fig8.ggn_shorter_gap", "GGN shortens the gap from 100 % train accuracy to the validation rise", FIG8)
def ggn_shorter_gap(runs):
    def one_seed(seed_runs):
        adam, ggn = (pick(seed_runs, optimizer_is(o), f"{mnist.setting_name(o)} run") for o in ("adam", "ggn"))
        gaps = {r.optimizer: measures.delay(crossing(r, "train_acc", TRAIN_FIT), crossing(r, "test_acc", RISE))
                for r in (adam, ggn)}
        return decided(measures.before(gaps["ggn"], gaps["adam"]),
                       f"train acc 1 → validation ≥ {RISE:g}: GGN {gaps['ggn'].text()}, Adam {gaps['adam'].text()}",
                       [ggn, adam])
    return per_seed(fig8_runs(runs), one_seed)


def tail_accuracy(run: Run) -> float:
    return measures.plateau(run.history["step"], run.history["test_acc"], TAIL)


@claim("fig8.ggn_validation_plateau", "GGN's final validation accuracy stagnates severely, at about 45 %", FIG8)
def ggn_plateau(runs):
    def one_seed(seed_runs):
        ggn = pick(seed_runs, optimizer_is("ggn"), "GGN run")
        level = tail_accuracy(ggn)
        return Outcome(PLATEAU_BAND[0] <= level <= PLATEAU_BAND[1],
                       f"GGN validation acc, median of the last 20 % (to step {ggn.history['step'][-1]}): "
                       f"{number(level)}", [ggn])
    return per_seed(fig8_runs(runs), one_seed)


@claim("fig8.adam_full_generalization", "Adam reaches nearly 100 % validation accuracy", FIG8)
def adam_generalises(runs):
    def one_seed(seed_runs):
        adam = pick(seed_runs, optimizer_is("adam"), "Adam run")
        level = tail_accuracy(adam)
        return Outcome(level >= FULL, f"Adam validation acc, median of the last 20 % (to step "
                                      f"{adam.history['step'][-1]}): {number(level)}", [adam])
    return per_seed(fig8_runs(runs), one_seed)


@claim("fig8.ggn_val_loss_flat", "More GGN iterations leave the validation loss static (even rising)", FIG8)
def ggn_val_loss_flat(runs):
    def one_seed(seed_runs):
        ggn = pick(seed_runs, optimizer_is("ggn"), "GGN run")
        steps = ggn.history["step"]
        first, last = measures.window(steps, 0.5, 1.0)
        change = math.exp(measures.log_slope(steps, ggn.history["test_loss"], first, last) * (last - first))
        return Outcome(change >= FLAT_FALL, f"GGN validation loss over steps {first:g}–{last:g} × {number(change)} "
                                            f"(fitted)", [ggn])
    return per_seed(fig8_runs(runs), one_seed)


def continuations(runs: list[Run]) -> list[Run]:
    """The GGN → Adam phase runs (optimizer 'ggn+adam'); NotRun if there is none."""
    chosen = [fig8_transformer.check(r) for r in runs if fig12_continuation.is_continuation(r)]
    if not chosen:
        raise NotRun(f"no {fig12_continuation.CONTINUATION} run among the run files")
    return chosen


@claim("fig12.validation_loss_spike", "After the switch GGN → Adam the validation loss spikes dramatically", FIG12)
def validation_loss_spike(runs):
    def one_seed(seed_runs):
        run = seed_runs[0]  # continuations() of one seed
        switch = mnist.switch_step(run)
        before, peak = fig12_continuation.loss_at_switch(run, switch), fig12_continuation.spike(run, switch)
        jump = ratio(peak[1], before) if peak else math.nan
        complete = finished(run) or run.history["step"][-1] >= switch + fig12_continuation.SPIKE_WINDOW
        holds = True if jump >= SPIKE else (False if complete else None)  # the peak so far only grows
        highest = f"{number(peak[1])} at step {peak[0]} (× {number(jump)})" if peak else "none"
        text = (f"validation loss at the switch (step {switch}) {number(before)}, peak within "
                f"{fig12_continuation.SPIKE_WINDOW} steps {highest}")
        return decided(holds, text, [run])
    return per_seed(continuations(runs), one_seed)


@claim("fig12.adam_steps_comparable", "After the switch Adam needs about as many steps to full generalisation "
       "as Adam alone", FIG12, FIG8)
def adam_steps_comparable(runs, fig8_folder):
    def one_seed(seed_runs):
        run = seed_runs[0]
        adam = next(iter(fig12_continuation.references(run, fig8_folder)), None)
        if adam is None:
            raise NotRun(f"no pure Adam run of seed {run.attrs.get('seed')} in fig8_transformer")
        switch = mnist.switch_step(run)
        after = measures.delay(measures.Bound(float(switch)), crossing(run, "test_acc", GENERALISED, after=switch))
        alone = crossing(adam, "test_acc", GENERALISED)
        if any(b.exact and math.isinf(b.value) for b in (after, alone)):
            holds = False  # one of them never generalised fully
        else:
            holds = every([measures.at_most(alone.times(COMPARABLE[0]), after),
                           measures.at_most(after, alone.times(COMPARABLE[1]))])
        return decided(holds, f"steps of Adam to validation ≥ {GENERALISED:g}: after the switch {after.text()}, "
                              f"alone {alone.text()}", [run, adam])
    return per_seed(continuations(runs), one_seed)
