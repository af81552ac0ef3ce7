"""Synthetic run files that follow docs/hdf5-layout.md exactly, and real ones from the pgdx binary.

The synthetic residual is a sum of cosines whose amplitudes decay at a rate that grows with
the wave number, and the stored e_k and loss are computed from it with the layout's own
definitions, so each file is self-consistent and the curves are easy to recognise.
"""
import math
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cli(*args):
    """python3 -m postprocess ARGS, run from the repository root."""
    return subprocess.run([sys.executable, "-m", "postprocess", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True)


def assert_one_line_failure(result, *expected):
    """Bad input: exit 2, one stderr line containing every expected fragment, no traceback."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]
sys.path.insert(0, str(REPO))

STRING_ATTRS = ("format", "pgdx_version", "git_commit", "config", "config_file", "overrides", "run_name",
                "task", "optimizer", "status", "message", "started_at")
INT_ATTRS = ("format_version", "seed", "num_params", "num_train", "num_outputs", "ranks", "steps_completed")
FLOAT_ATTRS = ("wall_seconds", "final_train_loss", "final_test_loss")

def config_text(optimizer, mu, seed, steps, points, gn_cutoff, gn_cutoff_mode, damping, lr=0.01,
                task="name = 'regression1d'\npoints = {points}\n", layers="[ 1, 2, 1 ]", reduction="mean"):
    """Effective-config TOML in the style pgdx writes it (sorted tables, single-quoted strings)."""
    return (f"[loss]\nreduction = '{reduction}'\n\n[model]\nactivation = 'tanh'\nlayers = {layers}\n\n"
            f"[optimizer]\ndamping = '{damping}'\ngn_cutoff = {gn_cutoff!r}\ngn_cutoff_mode = '{gn_cutoff_mode}'\n"
            f"lr = {lr!r}\nmu = {mu!r}\nmu_scale = 'sum'\nname = '{optimizer}'\n\n"
            f"[run]\nbatch_size = 0\nrecord_every = 1\nseed = {seed}\nsteps = {steps}\n\n"
            f"[task]\n" + task.format(points=points))


def _extendible(f, name, data):
    """History and spectral datasets are chunked and extendible along the record axis."""
    data = np.asarray(data)
    f.create_dataset(name, data=data, maxshape=(None,) + data.shape[1:], chunks=(64,) + data.shape[1:])


def _write(path, task, optimizer, mu, seed, status, steps, config, history, fixed=(), extendible=(), lr=0.01,
           num_params=7):
    """A run file with every root attribute of docs/hdf5-layout.md v1, the /history datasets all tasks
    write (plus the task's own in `history`), `fixed` datasets as given and `extendible` ones chunked."""
    path = pathlib.Path(path)
    step = history["step"]
    is_lm, is_gn = optimizer == "lm", optimizer == "gn"
    history = {
        "test_loss": np.full(step.shape, np.nan), "lr": np.full(step.shape, lr),
        "mu": np.full(step.shape, mu if is_lm else np.nan), "rho": np.full(step.shape, 1.0 if is_lm else np.nan),
        "attempts": np.ones_like(step), "solve_fallbacks": np.zeros_like(step), "accepted": np.ones_like(step),
        "gn_rank": np.full_like(step, 5 if is_gn else -1), "weight_norm": np.full(step.shape, 2.0),
        "dist_from_init": np.linspace(0.0, 0.1, step.size), "step_seconds": np.full(step.shape, 1e-3), **history}
    fixed = dict(fixed)
    attrs = {
        "format": "pgdx-run", "format_version": 1, "pgdx_version": "0.1.0", "git_commit": "0123456789ab",
        "config": config, "config_file": f"jobs/{task}.toml", "overrides": f"optimizer.name={optimizer}",
        "run_name": path.name.removesuffix(".partial").removesuffix(".h5"), "task": task,
        "optimizer": optimizer, "seed": seed, "num_params": num_params, "num_train": len(fixed["data/train_x"]),
        "num_outputs": 1, "ranks": 2, "status": status, "message": "" if status == "completed" else f"run {status}",
        "steps_completed": steps, "wall_seconds": 0.25, "final_train_loss": float(history["train_loss"][-1]),
        "final_test_loss": float("nan"), "started_at": "2026-01-01T00:00:00Z",
    }
    theta0 = np.random.default_rng(seed).standard_normal(num_params)
    with h5py.File(path, "w") as f:
        for key in STRING_ATTRS:
            f.attrs[key] = str(attrs[key])  # variable-length UTF-8, as pgdx writes them
        for key in INT_ATTRS:
            f.attrs[key] = np.int64(attrs[key])
        for key in FLOAT_ATTRS:
            f.attrs[key] = np.float64(attrs[key])
        f["init/params"] = theta0
        f["final/params"] = theta0 + 0.1
        for name, values in fixed.items():
            f[name] = values
        for name, values in history.items():
            _extendible(f, f"history/{name}", values)
        for name, values in dict(extendible).items():
            _extendible(f, name, values)
    return path


def make_run_file(path, optimizer="sgd", mu=0.5, steps=20, points=100, seed=0, status="completed",
                  gn_cutoff=1e-6, gn_cutoff_mode="relative", damping="constant", spectral=True):
    """A regression1d run file (Fig. 3) with every root attribute and dataset of docs/hdf5-layout.md v1."""
    n, modes = points, points // 2 + 1
    step = np.arange(steps + 1, dtype=np.int64)
    x = np.linspace(0.0, 1.0, n)[:, None]
    grid = np.arange(n)
    amplitude = 0.3 / (1 + np.arange(modes))
    # residual r(t, j) = sum_k a_k exp(-t k / 10) cos(2 pi k j / n)
    decay = np.exp(-np.outer(step, np.arange(modes)) / 10.0) * amplitude
    residual = decay @ np.cos(2 * np.pi * np.outer(np.arange(modes), grid) / n)
    fft_error = np.abs(np.fft.fft(residual, axis=1))[:, :modes] / n
    config = config_text(optimizer, mu, seed, steps, n, gn_cutoff, gn_cutoff_mode, damping)
    fixed = {"data/train_x": x, "data/train_y": np.sin(3 * np.pi * x)}
    spectrum = {}
    if spectral:
        fixed["spectral/modes"] = np.arange(modes, dtype=np.int64)
        spectrum = {"spectral/step": step, "spectral/fft_error": fft_error}
    history = {"step": step, "train_loss": 0.5 * np.mean(residual ** 2, axis=1)}
    return _write(path, "regression1d", optimizer, mu, seed, status, steps, config, history, fixed, spectrum)


def residual_2d(optimizer, mu, steps, nx, ny, seed):
    """(steps+1, nx, ny) synthetic residual on the grid: a random field whose Fourier coefficients
    decay at one rate for GN and ever more slowly with the radius for the others (Fig. 9's story),
    at a pace that differs between optimizers so every run's numbers differ."""
    radius = np.hypot(*np.meshgrid(np.minimum(np.arange(nx), nx - np.arange(nx)),
                                   np.minimum(np.arange(ny), ny - np.arange(ny)), indexing="ij"))
    pace = {"sgd": 0.4, "adam": 0.6, "adamw": 0.7}.get(optimizer, 1.0 / (1.0 + mu))
    rate = np.full(radius.shape, 0.1) if optimizer == "gn" else pace / (1.0 + radius)
    base = np.fft.fft2(np.random.default_rng(seed).standard_normal((nx, ny)) + 0.5)
    t = np.arange(steps + 1)[:, None, None]
    return np.fft.ifft2(base * np.exp(-t * rate), axes=(1, 2)).real  # real: the decay is symmetric in ±k


def shells_by_loops(full, nx, ny):
    """e_m (S, M) from E (S, nx, ny) by the layout's rule, as plain loops (independent of postprocess)."""
    count = round(math.sqrt((nx // 2) ** 2 + (ny // 2) ** 2)) + 1
    sums, members = np.zeros((full.shape[0], count)), np.zeros(count)
    for k in range(nx):
        for l in range(ny):
            m = round(math.sqrt(min(k, nx - k) ** 2 + min(l, ny - l) ** 2))
            sums[:, m] += full[:, k, l]
            members[m] += 1
    return sums / members


def make_regression2d_file(path, optimizer="sgd", mu=0.5, steps=20, nx=40, ny=40, seed=0, status="completed",
                           full_every=5):
    """A regression2d run file (Fig. 9): /spectral/fft_error_2d and /spectral_full computed from
    residual_2d() with numpy's fft2 and the shell rule, exactly as the layout defines them."""
    n = nx * ny
    a, b = np.divmod(np.arange(n), ny)  # sample j = a·ny + b
    x = np.column_stack([a / (nx - 1), b / (ny - 1)])
    u = np.where(x.sum(1) < 0.5, 1.0, np.where(x.sum(1) > 1.5, 2.0, np.where((x[:, 0] < 0.5) & (x[:, 1] >= 0.5),
                                                                            0.75, 0.0)))
    step = np.arange(steps + 1, dtype=np.int64)
    residual = residual_2d(optimizer, mu, steps, nx, ny, seed)
    full = np.abs(np.fft.fft2(residual, axes=(1, 2))) / n
    shells = shells_by_loops(full, nx, ny)
    coarse = (step % full_every == 0) | (step == steps)
    config = config_text(optimizer, mu, seed, steps, nx, 1e-6, "relative", "constant",
                         task="name = 'regression2d'\npoints = {points}\n", layers="[ 2, 2, 1 ]", reduction="sum")
    fixed = {"data/train_x": x, "data/train_y": u[:, None], "spectral/grid_shape": np.array([nx, ny], dtype=np.int64),
             "spectral/shells": np.arange(shells.shape[1], dtype=np.int64)}
    spectra = {"spectral/step": step, "spectral/fft_error_2d": shells, "spectral_full/step": step[coarse],
               "spectral_full/fft_error_2d": full[coarse].reshape(-1, n)}
    history = {"step": step, "train_loss": 0.5 * np.sum(residual ** 2, axis=(1, 2))}
    return _write(path, "regression2d", optimizer, mu, seed, status, steps, config, history, fixed, spectra)


PINN_LR = {"sgd": 1e-3, "adam": 1e-2, "lm": 1e-1}


def make_pinn_file(path, optimizer="sgd", frequency=(1, 1), mu=0.1, steps=30, seed=0, status="completed",
                   lr=None, l2_error=True):
    """A pinn_poisson run file (Fig. 4): loss and L2 error fall at a rate set by optimizer, frequency
    and seed, so every curve and table row differs; 640 interior and 40 boundary points."""
    lr = PINN_LR.get(optimizer, 1e-2) if lr is None else lr
    n, m = frequency
    rng = np.random.default_rng(seed)
    edge = rng.uniform(size=40)
    boundary = np.column_stack([np.r_[edge[:10], edge[10:20], np.zeros(10), np.ones(10)],
                                np.r_[np.zeros(10), np.ones(10), edge[20:30], edge[30:]]])
    x = np.vstack([rng.uniform(size=(640, 2)), boundary])
    f = (n * n + m * m) * np.pi ** 2 * np.sin(n * np.pi * x[:, 0]) * np.sin(m * np.pi * x[:, 1])
    y = np.r_[-f[:640], np.zeros(40)][:, None]  # residual α·u + β·Δu − y: Δu + f in, u on the boundary
    coefficients = np.r_[np.tile([0.0, 1.0], (640, 1)), np.tile([1.0, 0.0], (40, 1))]
    rate = {"sgd": 0.02, "adam": 0.05, "lm": 0.08}.get(optimizer, 0.03) / (n + m) * (1 + 0.1 * seed)
    step = np.arange(steps + 1, dtype=np.int64)
    history = {"step": step, "train_loss": 10.0 * (n + m) ** 2 * np.exp(-rate * step)}
    if l2_error:
        history["l2_error"] = (0.9 + 0.01 * (n + m) + 0.001 * seed) * np.exp(-0.5 * rate * step)
    task = ("boundary_points = 40\nfrequency = [ %d, %d ]\ninterior_points = 640\nname = 'pinn_poisson'\n"
            "solution_grid = 50\n" % (n, m))
    config = config_text(optimizer, mu, seed, steps, 0, 1e-6, "relative", "constant", lr=lr, task=task,
                         layers="[ 2, 256, 1 ]", reduction="sum")
    fixed = {"data/train_x": x, "data/train_y": y, "data/train_coefficients": coefficients}
    return _write(path, "pinn_poisson", optimizer, mu, seed, status, steps, config, history, fixed, lr=lr)


def markdown_table(stdout):
    """(first line, rows as dicts of strings) of `python -m postprocess fig4|fig9` output."""
    lines = stdout.splitlines()
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines[1:]]
    assert len(cells) >= 2 and set(lines[2]) <= set("|-"), stdout
    return lines[0], [dict(zip(cells[0], row)) for row in cells[2:]]


def train_lines(ax):
    """The labelled lines of a panel, one per run: the train curve (its test curve's label starts
    with '_', which keeps it out of the legend)."""
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def cli_rows(figure, run_dir, out, *options, min_png=10_000):
    """`python -m postprocess FIGURE RUN_DIR -o OUT OPTIONS` that succeeds quietly, writes a PNG and
    prints its path, then a table: returns the table's rows."""
    result = cli(figure, run_dir, "-o", out, *options)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > min_png
    first, rows = markdown_table(result.stdout)
    assert first == str(out)
    return rows


@pytest.fixture(autouse=True)
def close_figures():
    """Tests that inspect figure() objects leave them open; free them so pyplot does not pile them up."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.fixture
def demo_like_dir(tmp_path):
    """The four Fig. 3 demo runs (written in scrambled order) plus a crashed run's .h5.partial."""
    d = tmp_path / "demo"
    d.mkdir()
    make_run_file(d / "gn.h5", "gn")
    make_run_file(d / "lm01.h5", "lm", mu=0.1)
    make_run_file(d / "sgd.h5", "sgd")
    make_run_file(d / "lm05.h5", "lm", mu=0.5)
    make_run_file(d / "crashed.h5.partial", "adam", status="running")
    return d


def pgdx_binary():
    """The pgdx binary; tests that need it are skipped (only) when it is not built."""
    binary = os.environ.get("PGDX_BIN", str(REPO / "build" / "pgdx"))
    if not os.path.exists(binary):
        pytest.skip(f"pgdx binary not built at {binary} (set PGDX_BIN to use another one)")
    return binary


@pytest.fixture(scope="session")
def pgdx_runs(tmp_path_factory):
    """Two short real runs written by the C++ code (skipped when the binary is not built)."""
    d = tmp_path_factory.mktemp("real")
    for variant in (["optimizer.name=sgd"], ["optimizer.name=lm", "optimizer.mu=0.1"]):
        run_binary("train", REPO / "jobs" / "fig3_regression1d.toml", *set_args(variant + ["run.steps=30"]),
                   "--out", d, "--quiet", timeout=120)
    return d


def run_binary(*args, timeout):
    """`pgdx ARGS` from the repository root with the MPI settings of run_env(); fails the test with
    pgdx's own output if it does not exit 0."""
    result = subprocess.run([pgdx_binary(), *map(str, args)], cwd=REPO, capture_output=True, text=True,
                            timeout=timeout, env=run_env())
    assert result.returncode == 0, f"pgdx {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


def set_args(sets):
    return [a for kv in sets for a in ("--set", kv)]


def pgdx_sweep(tmp_path_factory, job, *sets):
    """Every point of jobs/JOB (with `--set` overrides) run locally, one at a time, into a fresh folder.
    ctest gives the whole postprocess suite 600 s: a smoke sweep must be far quicker than that."""
    d = tmp_path_factory.mktemp(job.removesuffix(".toml"))
    run_binary("sweep", REPO / "jobs" / job, *set_args(sets), "--local", "-j", "1", "--out", d, timeout=400)
    return d


def sweep_fixture(name, job, scope="session"):
    """A fixture called `name` (session-scoped unless `scope` says otherwise): the folder of a local
    `pgdx sweep jobs/JOB`, run once per scope."""
    @pytest.fixture(scope=scope, name=name)
    def fixture(tmp_path_factory):
        return pgdx_sweep(tmp_path_factory, job)
    return fixture


pgdx_fig9_runs = sweep_fixture("pgdx_fig9_runs", "smoke_fig9_regression2d.toml")
pgdx_fig4_runs = sweep_fixture("pgdx_fig4_runs", "smoke_fig4_pinn.toml")
# 4 real modular_mlp runs: SGD and LM × s ∈ {0.5, 2}, 20 steps of addition mod 7 (~2 s).
pgdx_fig5_runs = sweep_fixture("pgdx_fig5_runs", "smoke_fig5_modular_mlp.toml")
# 4 real polynomial_teacher runs: GD and LM × α ∈ {1, 4}, 20 steps, 32 points per ray (~2 s).
pgdx_fig6_runs = sweep_fixture("pgdx_fig6_runs", "smoke_fig6_polynomial.toml")
# 8 real MNIST runs: 4 optimizers × α ∈ {1, 8}, 15 steps each on 200 digits.
pgdx_fig1_mnist_runs = sweep_fixture("pgdx_fig1_mnist_runs", "smoke_fig1_mnist.toml")
# 3 real cross-entropy MNIST runs: SGD, Adam and GGN, 12 steps on 50 digits (~10 s); only test_fig11 uses them.
pgdx_fig11_runs = sweep_fixture("pgdx_fig11_runs", "smoke_fig11_mnist_ce.toml", scope="module")


def run_env():
    """The settings of scripts/mpi_env.sh, which ctest passes in but a plain `python3 -m pytest` run does not."""
    env = dict(os.environ)
    if os.getuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def pgdx_sweep_points(tmp_path_factory, job, optimizers, *sets):
    """Only the points of jobs/JOB (with `--set` overrides) whose optimizer is one of `optimizers`,
    each run in-process with `sweep --task-id` (the MNIST smoke runs take ~10 s each)."""
    d = tmp_path_factory.mktemp(job.removesuffix(".toml"))
    listing = run_binary("sweep", REPO / "jobs" / job, *set_args(sets), "--list", timeout=60)
    points = [line.split()[0] for line in listing.stdout.splitlines()
              if any(f"optimizer.name='{name}'" in line.split() for name in optimizers)]
    assert len(points) == len(optimizers), listing.stdout
    for point in points:
        run_binary("sweep", REPO / "jobs" / job, *set_args(sets), "--task-id", point, "--out", d, "--quiet",
                   timeout=120)
    return d


def pgdx_train(tmp_path_factory, job, *sets):
    """One run of jobs/JOB (with `--set` overrides) into a fresh folder."""
    d = tmp_path_factory.mktemp(job.removesuffix(".toml"))
    run_binary("train", REPO / "jobs" / job, *set_args(sets), "--out", d, "--quiet", timeout=120)
    return d


@pytest.fixture(scope="session")
def pgdx_fig7_mnist_run(tmp_path_factory):
    """One real switching run: LM for 8 steps, then AdamW for 7."""
    return pgdx_train(tmp_path_factory, "smoke_fig7_mnist_switch.toml")
