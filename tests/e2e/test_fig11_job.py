"""jobs/fig11_mnist_ce_ggn.toml's default: GGN at the paper's rate 1e-2 (Table 7) after 200 steps at
1e-3. A shortened run of the real job (784-200-200-10, α = 100, 200 digits, on 2 ranks; 60 warm-start
steps, as the net fits in ~50, and 40 at 1e-2) must show what the default serves:
  - the net fits the 200 digits during the warm start, and stays fitted after the switch to 1e-2
    (from the first step, 1e-2 collapses it to train accuracy 0.33);
  - after the fit, the loss is 0 and a GGN step is the weight decay alone, so ‖θ‖ falls by
    lr·λ/μ = 1e-2 · 0.01 / 1 = 1e-4 per step. That rate is what brings GGN's jump near Adam's
    (~43 000 vs ~39 000 steps; at 1e-3 it would take ~430 000).
docs/grokking-study.md, "Fig. 11: GGN at the paper's rate after a warm start"."""
import math
import sys

import numpy as np

from conftest import SOURCE_DIR, run_pgdx

sys.path.insert(0, str(SOURCE_DIR))
from postprocess import measures  # noqa: E402
from postprocess.runs import load_run  # noqa: E402

JOB = SOURCE_DIR / "jobs" / "fig11_mnist_ce_ggn.toml"
WARM, AFTER = 60, 40  # the job: 200 and 49 800


def test_a_shortened_run_fits_in_the_warm_start_stays_fitted_and_decays_at_lr_lambda_over_mu(tmp_path):
    run_pgdx(["train", JOB, "--set", f"phase[0].steps={WARM}", "--set", f"phase[1].steps={AFTER}",
              "--set", "run.record_every=10",
              "--out", tmp_path, "--quiet"], ranks=2, check=True)
    (path,) = tmp_path.glob("*.h5")
    run = load_run(path)
    assert run.optimizer == "ggn"  # one method with a rate schedule, not a switch
    history = run.history
    steps, train_acc = measures.curve(history["step"], history["train_acc"])
    fitted = measures.first_crossing(steps, train_acc, 1.0)
    assert fitted is not None and fitted <= WARM, (fitted, train_acc[:25])
    assert np.all(train_acc[steps >= WARM] == 1.0), train_acc[steps >= WARM]  # no collapse at 1e-2
    lr = np.asarray(history["lr"])
    assert np.all(lr[steps <= WARM][1:] == 1e-3) and np.all(lr[steps > WARM] == 1e-2), lr
    # ‖θ‖ after the switch: θ ← (1 − 1e-4) θ per step while the loss is 0.
    slope = measures.log_slope(steps, history["weight_norm"], WARM + 10, WARM + AFTER)
    assert math.isclose(slope, math.log1p(-1e-4), rel_tol=0.05), slope
