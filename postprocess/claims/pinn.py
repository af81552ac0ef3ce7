"""Claims of Fig. 4: the PINN for −Δu = f at three frequencies (n, m), SGD / Adam / LM
(docs/claims.md). All of them read the training loss of each run.
"""
from __future__ import annotations

from .. import fig4_pinn, measures
from ..mnist import final
from ..runs import Run
from .core import Need, NotRun, Outcome, choose, claim, every, first_per, number, per_seed, ratio

FIG4 = Need(("fig4_pinn_poisson", "fig4"), ("smoke_fig4_pinn",))
SLOPE_WINDOW = (0.1, 1.0)  # "after the first few hundred steps" of 10 000
SLOPE_SPREAD = 2.0  # "uniform": fastest / slowest frequency's slope at most this
EARLY = 0.01  # "initially": the first record at or after 1 % of the run (step 100 of 10 000)
ADAM_GAIN = 10.0  # "noticeably better": Adam's final loss ≥ 10× LM's at the highest frequency


def is_fig4_run(run: Run) -> bool:
    return run.task == fig4_pinn.TASK


def by_frequency(runs: list[Run], optimizer: str) -> dict:
    """{(n, m): the first run of `optimizer` at that frequency}, low → high frequency."""
    chosen = first_per([r for r in runs if r.optimizer == optimizer], fig4_pinn.frequency, fig4_pinn.run_order)
    if not chosen:
        raise NotRun(f"no {optimizer} run of {fig4_pinn.TASK}")
    return chosen


def frequencies_text(values: dict) -> str:
    return ", ".join(f"{fig4_pinn.frequency_text(f)} {number(v)}" for f, v in values.items())


def pinn_runs(runs):
    return choose(runs, is_fig4_run, f"{fig4_pinn.TASK} run")


@claim("fig4.lm_uniform_slope", "LM: the loss falls with nearly the same slope at every frequency", FIG4)
def lm_uniform_slope(runs):
    def one_seed(seed_runs):
        lm = by_frequency(seed_runs, "lm")
        if len(lm) < 2:
            raise NotRun("LM runs at fewer than two frequencies")
        slopes = {}
        for freq, run in lm.items():
            steps = run.history["step"]
            slopes[freq] = measures.log_slope(steps, run.history["train_loss"], *measures.window(steps, *SLOPE_WINDOW))
        values = list(slopes.values())
        spread = min(values) / max(values) if all(v < 0 for v in values) else float("inf")
        return Outcome(spread <= SLOPE_SPREAD, f"LM loss slope, last 90 %: {frequencies_text(slopes)} /step; "
                                               f"fastest/slowest {number(spread)}", list(lm.values()))
    return per_seed(pinn_runs(runs), one_seed)


@claim("fig4.lm_beats_adam_high_freq", "LM ends noticeably below Adam, the more so the higher the frequency", FIG4)
def lm_beats_adam(runs):
    def one_seed(seed_runs):
        adam, lm = by_frequency(seed_runs, "adam"), by_frequency(seed_runs, "lm")
        common = [f for f in lm if f in adam]
        if not common:
            raise NotRun("no frequency with both an Adam and an LM run")
        gain = {f: ratio(final(adam[f], "train_loss"), final(lm[f], "train_loss")) for f in common}
        highest, lowest = gain[common[-1]], gain[common[0]]
        return Outcome(highest >= ADAM_GAIN and highest >= lowest, f"Adam final loss / LM's: {frequencies_text(gain)}",
                       [adam[f] for f in common] + [lm[f] for f in common])
    return per_seed(pinn_runs(runs), one_seed)


@claim("fig4.lm_tempered_start", "SGD and Adam fall fast at first; LM takes a more tempered path", FIG4)
def lm_tempered_start(runs):
    def one_seed(seed_runs):
        columns = {name: by_frequency(seed_runs, name) for name in ("sgd", "adam", "lm")}
        common = [f for f in columns["lm"] if all(f in c for c in columns.values())]
        if not common:
            raise NotRun("no frequency with SGD, Adam and LM runs")
        factors, used = {}, []
        for name, column in columns.items():
            for freq in common:
                run = column[freq]
                steps = run.history["step"]
                early = steps[steps >= EARLY * steps[-1]][0]
                factors[name, freq] = measures.decay_factor(steps, run.history["train_loss"], early)
                used.append(run)
        slower = [factors["lm", f] > max(factors["sgd", f], factors["adam", f]) for f in common]
        text = "; ".join(f"{fig4_pinn.frequency_text(f)}: " + ", ".join(
            f"{name} {number(factors[name, f])}" for name in columns) for f in common)
        return Outcome(every(slower), f"loss / initial loss at 1 % of the run: {text}", used)
    return per_seed(pinn_runs(runs), one_seed)
