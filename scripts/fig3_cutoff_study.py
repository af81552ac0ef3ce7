#!/usr/bin/env python3
"""GN cut-off study for Figs. 3 and 9 (docs/fig3-gn-cutoff-study.md).

Fig. 3: runs jobs/fig3_regression1d.toml for every initialisation reading × seed × optimizer setting
(SGD, LM μ = 0.5 and 0.1, GN with relative and absolute cut-offs, LM with a tiny constant μ as a
Tikhonov-regularised GN) and prints, per setting, the ten mode slopes over the claims' early window
in units of ln(1 − η) (postprocess.claims.spectral.lemma_rates), the blow-up max loss / initial loss,
the high-mode decay e_k(window end) / e_k(0) for k = 7…9, the final loss and the paper's Fig. 3
claims (postprocess.claims.spectral) on SGD, LM 0.5, LM 0.1 and each GN setting.
Fig. 9: the same measures for jobs/fig9_regression2d.toml's radial shells, on shortened runs.

Every run is one `pgdx train` on one rank, one at a time. Runs that already finished in --out are
kept (pgdx's --resume leaves a finished run alone), so a second call only prints the tables.

    /usr/bin/python3 scripts/fig3_cutoff_study.py [--out DIR] [--figure 3|9|both] [--seeds 0 1 2]
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from postprocess import measures  # noqa: E402
from postprocess.claims import core, spectral  # noqa: E402
from postprocess.runs import Run, load_run  # noqa: E402

PGDX = pathlib.Path(os.environ.get("PGDX_BIN", ROOT / "build" / "pgdx"))
# The readings of the paper's initialisation (docs/fig3-init-study.md): kernels, biases.
INITS = {"he": ("he_uniform", "he_uniform"),            # the Fig. 3 job before this study
         "table": ("kaiming_uniform", "zeros"),         # Table: "Kaiming uniform kernels, zero biases"
         "text": ("glorot_normal", "zeros")}            # Sec. 4.1: "initialized using Glorot normal"
CUTOFFS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-13, 1e-14)
# LM μ on the sum scale, absolute: the config cannot give μ relative to λ_max (the tables print λ_max(K₀)).
TINY_MU = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8)
FIG9_CUTOFFS = (1e-6, 1e-8, 1e-9, 1e-10, 1e-12)
FIG9_TINY_MU = (1e-3, 1e-4, 1e-6)
FIG9_STEPS, FIG9_WINDOW = 1500, 1000  # shortened runs; rates over steps 0–1 000 as the claims' 20 % of 5 000
HIGH = spectral.HIGH_MODES


@dataclasses.dataclass(frozen=True)
class Setting:
    label: str
    sets: tuple  # --set key=value

    @property
    def gn(self) -> bool:
        return self.label.startswith("gn")

    @property
    def gn_like(self) -> bool:  # GN, or LM with a tiny μ (a Tikhonov-regularised GN)
        return self.gn or self.label.startswith("lm-tiny")


def reference_settings():
    return [Setting("sgd", ("optimizer.name=sgd",)),
            Setting("lm0.5", ("optimizer.name=lm", "optimizer.mu=0.5")),
            Setting("lm0.1", ("optimizer.name=lm", "optimizer.mu=0.1"))]


def gn_settings(cutoffs, modes=("relative", "absolute")):
    return [Setting(f"gn {mode[:3]} {eps:g}", ("optimizer.name=gn", f"optimizer.gn_cutoff={eps:g}",
                                               f"optimizer.gn_cutoff_mode={mode}"))
            for mode in modes for eps in cutoffs]


def tiny_mu_settings(mus):
    return [Setting(f"lm-tiny μ={mu:g}", ("optimizer.name=lm", f"optimizer.mu={mu:g}", "optimizer.damping=constant"))
            for mu in mus]


def environment():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # scripts/mpi_env.sh
    if os.getuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def job_without_sweep(job: pathlib.Path, out: pathlib.Path) -> pathlib.Path:
    """A copy of `job` without its [sweep] table, so that `pgdx train` runs one point of it."""
    text = job.read_text()
    copy = out / job.name
    copy.write_text(text.split("\n[sweep]")[0] + "\n")
    return copy


def run(job: pathlib.Path, out: pathlib.Path, name: str, sets) -> Run:
    """`pgdx train job --set … --out out` on one rank, unless out/name.h5 is already finished."""
    args = [str(PGDX), "train", str(job), "--out", str(out), "--quiet", "--resume", "--set", f"run.name={name}"]
    for kv in sets:
        args += ["--set", kv]
    path = out / f"{name}.h5"
    if not path.exists():
        print(f"  run {name}", file=sys.stderr, flush=True)
    subprocess.run(args, check=True, capture_output=True, text=True, env=environment())
    return load_run(path)


def jacobian(theta, x, hidden: int):
    """J = ∂f/∂θ (n × p) of a d → hidden → 1 tanh MLP, θ in docs/hdf5-layout.md's order."""
    d = x.shape[1]
    w1, b1 = theta[:hidden * d].reshape(hidden, d), theta[hidden * d:hidden * (d + 1)]
    w2 = theta[hidden * (d + 1):hidden * (d + 2)]
    t = np.tanh(x @ w1.T + b1)
    slope = (1 - t ** 2) * w2
    return np.hstack([(slope[:, :, None] * x[:, None, :]).reshape(len(x), -1), slope, t, np.ones((len(x), 1))])


def lambda_max(run: Run, rows=None) -> float:
    """Largest eigenvalue of K₀ = J₀J₀ᵀ at θ₀ on the training rows `rows` (all: None), on the sum
    scale, as LM's μ and GN's absolute cut-off see it."""
    with h5py.File(run.path, "r") as f:
        theta, x = f["init/params"][()], f["data/train_x"][()]
    x = x if rows is None else x[rows]
    j = jacobian(theta, x, run.config["model"]["layers"][1])
    return float(np.linalg.eigvalsh(j @ j.T)[-1])


@dataclasses.dataclass
class Measured:
    rates: np.ndarray  # per mode / shell, in units of ln(1 − η)
    blowup: float      # max train loss / initial train loss
    high: float        # median over HIGH of e_k(window end) / e_k(0)
    final: float       # last train loss


def measure(run: Run, window) -> Measured:
    steps = spectral.mode_curve(run, 0)[0]
    last = measures.window(steps, *window)[1]
    eta = float(run.config["optimizer"]["lr"])
    rates = spectral.mode_rates(run, window) / math.log1p(-eta)
    loss = np.asarray(run.history["train_loss"], dtype=float)
    high = float(np.median([measures.decay_factor(*spectral.mode_curve(run, k), last) for k in HIGH]))
    return Measured(rates, float(np.max(loss) / loss[0]), high, float(loss[-1]))


def fig3_claims(seed_runs: dict[int, dict[str, Run]], gn_label: str) -> str:
    """The Fig. 3 claims of postprocess.claims.spectral on SGD, LM 0.5, LM 0.1 and this GN, over the
    seeds: one letter per claim, upper case when it holds for every seed."""
    runs = [r for per in seed_runs.values() for r in (per["sgd"], per["lm0.5"], per["lm0.1"], per[gn_label])]
    letters = []
    for letter, evaluate in (("u", spectral.gn_uniform_decay), ("i", spectral.lm_interpolates),
                             ("b", spectral.fig3_sgd_bias), ("p", spectral.pgd_beats_sgd),
                             ("f", spectral.gn_lazy_floor)):
        try:
            outcome = evaluate(runs)
        except core.NotRun:
            letters.append("?")
            continue
        letters.append(letter.upper() if outcome.holds else letter)
    return "".join(letters)


def ordered(per: dict[str, Measured], gn_label: str) -> bool:
    """High modes decay GN < LM 0.1 < LM 0.5 < SGD (smaller factor = faster decay)."""
    chain = [per[gn_label].high, per["lm0.1"].high, per["lm0.5"].high, per["sgd"].high]
    return all(a < b for a, b in zip(chain, chain[1:]))


def rates_text(rates) -> str:
    return " ".join(f"{r:.2f}" for r in rates)


def fig3_study(out: pathlib.Path, seeds, steps: int, inits, per_seed: bool, cutoffs=CUTOFFS,
               modes=("relative", "absolute"), mus=TINY_MU):
    job = ROOT / "jobs" / "fig3_regression1d.toml"
    settings = reference_settings() + gn_settings(cutoffs, modes) + tiny_mu_settings(mus)
    print(f"## Fig. 3: {job.name}, {steps} steps, seeds {', '.join(map(str, seeds))}; slopes over the first "
          f"{spectral.FIG3_EARLY[1]:.0%} of the run in units of ln(1 − η); high = median e_k(T)/e_k(0), k = 7…9, "
          f"T = end of that window; claims: U/u gn_uniform_decay, I/i lm_interpolates, B/b sgd_spectral_bias, "
          f"P/p pgd_beats_sgd, F/f gn_lazy_floor (upper case: holds for every seed)\n")
    for init in inits:
        kernels, biases = INITS[init]
        runs: dict[int, dict[str, Run]] = {}
        found: dict[int, dict[str, Measured]] = {}
        lam = []
        for seed in seeds:
            base = (f"model.init={kernels}", f"model.bias_init={biases}", f"run.seed={seed}", f"run.steps={steps}",
                    "run.record_every=1", "optimizer.mu_scale=sum")
            runs[seed] = {s.label: run(job, out, f"fig3_{init}_s{seed}_{slug(s.label)}", base + s.sets)
                          for s in settings}
            found[seed] = {label: measure(r, spectral.FIG3_EARLY) for label, r in runs[seed].items()}
            lam.append(lambda_max(runs[seed]["sgd"]))
        print(f"### init {init}: kernels {kernels}, biases {biases}; λ_max(K₀) = "
              + ", ".join(f"{v:.3g}" for v in lam) + " (per seed)\n")
        print("| setting | slopes k = 0…9 (mean over seeds) | min … max over seeds and modes | seeds all in 0.5–1.5 "
              "| blow-up (max over seeds) | high e_7…9 (median) | GN < LM0.1 < LM0.5 < SGD | final loss (median) "
              "| claims |")
        print("|---|---|---|---|---|---|---|---|---|")
        for s in settings:
            measured = [found[seed][s.label] for seed in seeds]
            rates = np.array([m.rates for m in measured])
            inside = sum(in_band(m.rates) for m in measured)
            order = f"{sum(ordered(found[seed], s.label) for seed in seeds)}/{len(seeds)}" if s.gn_like else "-"
            claims = fig3_claims(runs, s.label) if s.gn else "-"
            print(f"| {s.label} | {rates_text(rates.mean(axis=0))} | {rates.min():.2f} … {rates.max():.2f} "
                  f"| {inside}/{len(seeds)} | {max(m.blowup for m in measured):.3g} "
                  f"| {np.median([m.high for m in measured]):.3g} | {order} "
                  f"| {np.median([m.final for m in measured]):.2g} | {claims} |")
        print()
        if per_seed:
            print("| seed | setting | slopes k = 0…9 | all in 0.5–1.5 | blow-up | high e_7…9 | GN < LM0.1 < LM0.5 < SGD "
                  "| final loss |")
            print("|---|---|---|---|---|---|---|---|")
            for s in settings:
                for seed in seeds:
                    m = found[seed][s.label]
                    order = ("yes" if ordered(found[seed], s.label) else "no") if s.gn_like else "-"
                    print(f"| {seed} | {s.label} | {rates_text(m.rates)} | {'yes' if in_band(m.rates) else 'no'} "
                          f"| {m.blowup:.3g} | {m.high:.3g} | {order} | {m.final:.2g} |")
            print()


def in_band(rates) -> bool:
    return bool(((rates >= spectral.LEMMA_BAND[0]) & (rates <= spectral.LEMMA_BAND[1])).all())


def fig9_study(out: pathlib.Path, seeds, steps: int, window: int, cutoffs=FIG9_CUTOFFS, mus=FIG9_TINY_MU):
    job = job_without_sweep(ROOT / "jobs" / "fig9_regression2d.toml", out)
    settings = ([Setting("sgd", ("optimizer.name=sgd",)), Setting("lm0.1", ("optimizer.name=lm", "optimizer.mu=0.1"))]
                + gn_settings(cutoffs, ("relative",)) + tiny_mu_settings(mus))
    print(f"## Fig. 9: {job.name} shortened to {steps} steps, seeds {', '.join(map(str, seeds))}; shell rates "
          f"over steps 0–{window} in units of ln(1 − η); spread = fastest / slowest shell (claim "
          f"fig9.gn_uniform_decay: ≤ {spectral.SPREAD:g}); high = median e_m({window})/e_m(0), m = 7…9\n")
    print(f"| seed | setting | rates m = 0…9 | spread | blow-up | high e_7…9 | loss at step {steps} |")
    print("|---|---|---|---|---|---|---|")
    lam = {}
    for seed in seeds:
        for s in settings:
            r = run(job, out, f"fig9_s{seed}_{slug(s.label)}", (f"run.seed={seed}", f"run.steps={steps}") + s.sets)
            batch = int(r.config["run"]["batch_size"])
            lam.setdefault(seed, lambda_max(r, np.random.default_rng(0).permutation(int(r.attrs["num_train"]))[:batch]))
            m = measure(r, (0.0, window / steps))
            spread = float(m.rates.max() / m.rates.min()) if (m.rates > 0).all() else math.inf
            print(f"| {seed} | {s.label} | {rates_text(m.rates)} | {spread:.2f} | {m.blowup:.3g} | {m.high:.3g} "
                  f"| {m.final:.3g} |")
    print("\nλ_max(K₀) of a random minibatch: " + ", ".join(f"seed {s} {v:.3g}" for s, v in lam.items()) + "\n")


def slug(label: str) -> str:
    return label.replace(" ", "_").replace("μ=", "mu")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="run folder (default: a new temporary folder)")
    parser.add_argument("--figure", choices=("3", "9", "both"), default="3")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--inits", nargs="+", choices=tuple(INITS), default=list(INITS))
    parser.add_argument("--per-seed", action="store_true", help="Fig. 3: also one row per seed and setting")
    parser.add_argument("--cutoffs", type=float, nargs="*", default=CUTOFFS, help="Fig. 3 GN cut-offs")
    parser.add_argument("--modes", nargs="*", choices=("relative", "absolute"), default=("relative", "absolute"))
    parser.add_argument("--mus", type=float, nargs="*", default=TINY_MU, help="Fig. 3 tiny LM μ (sum scale)")
    parser.add_argument("--fig9-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=2000, help="Fig. 3 run length (the job's 2 000)")
    parser.add_argument("--fig9-steps", type=int, default=FIG9_STEPS)
    parser.add_argument("--fig9-cutoffs", type=float, nargs="*", default=FIG9_CUTOFFS, help="Fig. 9 GN cut-offs")
    parser.add_argument("--fig9-mus", type=float, nargs="*", default=FIG9_TINY_MU, help="Fig. 9 tiny LM μ")
    args = parser.parse_args(argv)
    out = args.out or pathlib.Path(tempfile.mkdtemp(prefix="fig3_cutoff_study_"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"runs in {out}; pgdx {PGDX}\n")
    if args.figure in ("3", "both"):
        fig3_study(out, args.seeds, args.steps, args.inits, args.per_seed, args.cutoffs, args.modes, args.mus)
    if args.figure in ("9", "both"):
        fig9_study(out, args.fig9_seeds, args.fig9_steps, min(FIG9_WINDOW, args.fig9_steps), args.fig9_cutoffs,
                   args.fig9_mus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
