#!/usr/bin/env python3
"""Fig. 6 delay study (issue 14 §3; docs/grokking-study.md, "Fig. 6").

Reads finished Fig. 6 runs (jobs/fig6_polynomial.toml or variants of it: any folder of
polynomial-teacher run files) and prints one row per run:
  - the fixed-threshold delay: train loss < 0.1 → test loss < 0.5 (normalised by step 0), the
    measurable of `fig6.*_delay_*` (postprocess/claims/sweeps.py);
  - each curve's own half-drop step: the first step at which the normalised loss has fallen half of
    the way from 1 to its final value, for train and test, and their difference and ratio. A test
    loss that plateaus (GD at α = 16 ends at 0.56) still has a half-drop step, so this delay is
    finite where the fixed threshold says "never"; the ratio is the gap as it looks on the paper's
    log-x axis;
  - the ray crossings of `fig6.*_rays_*`: the error of the highest ray mode below 0.1 × its peak,
    on the training ray and on the (1, …, 1) ray.

    /usr/bin/python3 scripts/fig6_delay_study.py RUN_DIR [RUN_DIR ...]
"""
from __future__ import annotations

import argparse
import math
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from postprocess import fig6_polynomial, measures  # noqa: E402
from postprocess.claims import sweeps  # noqa: E402  (the claims' delay and ray crossings)
from postprocess.runs import Run, load_runs  # noqa: E402


def half_drop_step(curve) -> float:
    """measures.half_drop of a finished run's normalised loss; NaN if it never falls."""
    bound = measures.half_drop(*curve, finished=True)
    return math.nan if math.isinf(bound.value) else bound.value


def row(run: Run) -> dict:
    train, test = (fig6_polynomial.normalised(run, q) for q in ("train_loss", "test_loss"))
    return {
        "optimizer": fig6_polynomial.NAMES[run.optimizer], "lr": float(run.config.get("optimizer", {}).get("lr", math.nan)),
        "alpha": fig6_polynomial.alpha(run), "steps": int(run.history["step"][-1]),
        "delay": sweeps.loss_delay(run).text(),
        "train_half": half_drop_step(train), "test_half": half_drop_step(test),
        "final_train": float(train[1][-1]), "final_test": float(test[1][-1]),
        "ray_train": sweeps.ray_crossing(run, "train").text(), "ray_test": sweeps.ray_crossing(run, "test").text(),
    }


def number(x: float) -> str:
    return "never" if math.isnan(x) else f"{x:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+", type=pathlib.Path)
    args = parser.parse_args()
    runs = [run for d in args.run_dirs for run in load_runs(d) if run.task == fig6_polynomial.TASK]
    for run in runs:
        if run.status != "completed":
            print(f"skipped (status {run.status}): {run.path}")
    rows = [row(run) for run in runs if run.status == "completed"]
    rows.sort(key=lambda r: (r["optimizer"], r["lr"], r["alpha"]))
    print("| optimizer | η | α | steps | delay 0.1 → 0.5 | train half-drop | test half-drop | own delay | "
          "ratio | final train / test | ray train / (1,…,1) < 0.1 × peak |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        own = r["test_half"] - r["train_half"]
        ratio = r["test_half"] / max(r["train_half"], 1.0)
        print(f"| {r['optimizer']} | {r['lr']:g} | {r['alpha']:g} | {r['steps']} | {r['delay']} | "
              f"{number(r['train_half'])} | {number(r['test_half'])} | {number(own)} | "
              f"{'—' if math.isnan(ratio) else f'{ratio:.1f}'} | {r['final_train']:.2g} / {r['final_test']:.3g} | "
              f"{r['ray_train']} / {r['ray_test']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
