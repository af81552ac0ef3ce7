"""postprocess ntk / lazy on synthetic run files that follow docs/hdf5-layout.md's /ntk and /lazy."""
import h5py
import numpy as np

from conftest import PNG_MAGIC, assert_one_line_failure, cli, make_run_file
from postprocess import laziness, ntk_spectrum
from postprocess.runs import load_run


def add_kernel(path, alpha_drift=1.0, steps=(0, 10, 20)):
    """A 6-mode kernel whose mode i contracts by 1 − 0.1·λ_i/λ_max per step, recorded at `steps`."""
    lam = np.array([1.0, 0.3, 2e-2, 5e-3, 1e-5, 0.0])
    factor = 1.0 - 0.1 * lam
    rows = len(steps)
    with h5py.File(path, "a") as f:
        f["ntk/step"] = np.array(steps, dtype=np.int64)
        f["ntk/bands"] = np.arange(8, dtype=np.int64)
        f["ntk/probe_samples"] = np.arange(6, dtype=np.int64)
        f["ntk/eigenvalues"] = np.tile(lam, (rows, 1))
        f["ntk/projection"] = np.array([factor ** s for s in steps])
        f["ntk/band_energy"] = np.ones((rows, 8))
        rates = np.tile(factor, (rows, 1))
        rates[0] = np.nan
        f["ntk/rate_measured"] = rates
        f["ntk/rate_predicted"] = rates
        f["lazy/step"] = np.array(steps, dtype=np.int64)
        for name in ("dist_from_init", "kernel_drift", "linearization_gap"):
            f["lazy/" + name] = alpha_drift * np.linspace(0.0, 0.1, rows)
        f["lazy/kernel_alignment"] = np.full(rows, 0.5)


def test_band_medians_follow_the_bands_of_the_earlier_recording(tmp_path):
    path = make_run_file(tmp_path / "gd.h5")
    add_kernel(path)
    kernel = load_run(path).kernel
    medians = ntk_spectrum.band_medians(kernel, kernel.rate_measured)
    assert np.all(np.isnan(medians[0]))
    np.testing.assert_allclose(medians[1, 0], np.median([0.9, 0.97]))  # λ/λ_max = 1 and 0.3: band 0
    assert medians[1, 1] == 1.0 - 0.1 * 2e-2 and medians[1, 2] == 1.0 - 0.1 * 5e-3
    assert medians[1, 4] == 1.0 - 1e-6 and medians[1, 7] == 1.0  # λ/λ_max = 1e-5: band 4; λ = 0: the last band
    assert ntk_spectrum.band_index(np.array([1.0, 0.1, 0.09, 0.0, -1e-17]), 1.0, 8).tolist() == [0, 0, 1, 7, 7]


def test_ntk_and_lazy_figures_draw_and_report(tmp_path):
    for optimizer, drift in (("sgd", 2.0), ("gn", 1.0)):
        add_kernel(make_run_file(tmp_path / f"{optimizer}.h5", optimizer=optimizer), drift)
    out = tmp_path / "ntk.png"
    result = cli("ntk", tmp_path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(PNG_MAGIC)
    result = cli("lazy", tmp_path, "-o", tmp_path / "lazy.png")
    assert result.returncode == 0, result.stderr
    assert "kernel_drift" in result.stdout


def test_runs_without_the_kernel_are_one_line_errors(tmp_path):
    make_run_file(tmp_path / "plain.h5")
    assert_one_line_failure(cli("ntk", tmp_path, "-o", tmp_path / "x.png"), "no /ntk data", "run.ntk_every")
    assert_one_line_failure(cli("lazy", tmp_path, "-o", tmp_path / "x.png"), "no /lazy data")
    assert_one_line_failure(cli("ntk", tmp_path / "missing.h5", "-o", tmp_path / "x.png"), "no such")
