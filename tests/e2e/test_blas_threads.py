"""pgdx chooses its BLAS threads per rank (parallel/blas_thread_choice.hpp): the node's CPUs shared by
its ranks unless a variable says otherwise; the choice is in the run file's root attributes and the
run header, and it changes a run's time, not its results beyond round-off.

Every run here gets an environment without the thread variables: scripts/mpi_env.sh and ctest
export OPENBLAS_NUM_THREADS=1, which would otherwise win."""
import os
import subprocess

import h5py
import numpy as np
import pytest

from conftest import FIG3, MPIEXEC, PGDX, VOLATILE

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK")


def pgdx(args, threads=None, mpirun=()):
    """Runs pgdx with no thread variable set, or OPENBLAS_NUM_THREADS=threads; returns the result."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    cmd = [*mpirun, PGDX, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def train(out, *settings, threads=None, mpirun=()):
    result = pgdx(["train", FIG3, *[a for s in settings for a in ("--set", s)], "--out", out, "--quiet"],
                  threads=threads, mpirun=mpirun)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = out.glob("*.h5")
    return path, result.stdout


def datasets(path):
    """Every dataset of a run file but the timings, by name."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, o: out.__setitem__(name, o[()]) if isinstance(o, h5py.Dataset) else None)
    return {k: v for k, v in out.items() if not k.startswith(VOLATILE)}


# Open MPI binds each of 2 ranks to its own hardware thread (its default on this machine, where a
# core is one vCPU): the node's CPUs are the union of the ranks' masks. Unbound, each rank sees all.
@pytest.mark.parametrize("binding", ["hwthread", "none"])
def test_two_ranks_share_the_node_cpus(tmp_path, binding):
    cpus = len(os.sched_getaffinity(0))
    node_cpus = 2 if binding == "hwthread" else cpus
    expected = max(1, node_cpus // 2)
    path, stdout = train(tmp_path, "run.steps=3", mpirun=(MPIEXEC, "-n", "2", "--bind-to", binding))
    reason = f"{node_cpus} CPUs / 2 ranks on the node"
    with h5py.File(path, "r") as f:
        assert f.attrs["blas_threads"] == expected  # 1 on the 2-CPU reference machine, bound or not
        assert f.attrs["blas_threads_source"] == "node"
        assert f.attrs["blas_threads_reason"] == reason
        assert (f.attrs["ranks"], f.attrs["ranks_per_node"], f.attrs["nodes"]) == (2, 2, 1)
    assert f"  BLAS threads {expected} per rank ({reason}); 2 ranks, 2 per node, 1 node\n" in stdout


def test_explicit_variable_wins_and_results_agree_to_round_off(tmp_path):
    # One rank (no launcher: 1 rank alone would take every CPU of the node) with 1 and 2 threads.
    lm = ("optimizer.name=lm", "run.steps=50")
    one, _ = train(tmp_path / "lm1", *lm, threads=1)
    two, stdout = train(tmp_path / "lm2", *lm, threads=2)
    with h5py.File(two, "r") as f:
        assert f.attrs["blas_threads"] == 2 and f.attrs["blas_threads_source"] == "env"
        assert f.attrs["blas_threads_reason"] == "OPENBLAS_NUM_THREADS=2"
        assert (f.attrs["ranks"], f.attrs["ranks_per_node"], f.attrs["nodes"]) == (1, 1, 1)
    assert "  BLAS threads 2 per rank (OPENBLAS_NUM_THREADS=2); 1 rank, 1 per node, 1 node\n" in stdout
    with h5py.File(one, "r") as f:
        assert f.attrs["blas_threads"] == 1

    # OpenBLAS's gemm, syrk and gemv give the same bits on 1 and 2 threads (each output element is
    # one thread's, summed in the same order), but its threaded Cholesky (dpotrf) blocks the matrix
    # differently, so LM's solves differ in the last bits (docs/performance.md). Measured: train loss
    # 6e-15 relative, |dθ| 5e-16 |θ| after 50 steps; 1e-12 leaves room for other CPUs' kernels and
    # still fails on anything but round-off (the gain ratio rho, a quotient of two loss
    # differences, is held to the project's rank tolerance, 1e-9).
    a, b = datasets(one), datasets(two)
    assert a.keys() == b.keys()
    for name in a:
        if a[name].dtype.kind == "f":
            rtol = 1e-9 if name in ("history/rho", "spectral/fft_error") else 1e-12
            np.testing.assert_allclose(b[name], a[name], rtol=rtol, atol=0, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(b[name], a[name], err_msg=name)
    theta_1, theta_2 = a["final/params"], b["final/params"]
    assert np.linalg.norm(theta_2 - theta_1) <= 1e-12 * np.linalg.norm(theta_1)


def test_first_order_run_is_bit_identical_on_1_and_2_threads(tmp_path):
    # SGD on p = 241 parameters calls only gemm/gemv (and no reduction long enough for OpenBLAS to
    # split): the thread count cannot change a bit.
    one, _ = train(tmp_path / "sgd1", "run.steps=50", threads=1)
    two, _ = train(tmp_path / "sgd2", "run.steps=50", threads=2)
    a, b = datasets(one), datasets(two)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(b[name], a[name], err_msg=name)


def test_a_thread_count_that_is_not_a_positive_integer_is_bad_input(tmp_path):
    result = pgdx(["train", FIG3, "--out", tmp_path, "--quiet"], threads="lots")
    assert result.returncode == 2
    assert result.stderr == ("pgdx: error: environment variable OPENBLAS_NUM_THREADS=lots: "
                             "must be a positive integer (threads per rank)\n")
    assert list(tmp_path.iterdir()) == []
    assert result.stdout == ""
