"""Loading pgdx run files (docs/hdf5-layout.md).

Figures are drawn from whole folders of runs, often produced on a cluster, so
every problem with one file (missing, truncated, not ours, inconsistent,
damaged: a checksum that fails or datasets shorter than the history) is turned
into a RunFileError whose message is ONE line naming the file. The CLI prints
that line and exits with code 2 instead of showing a traceback.
"""
from __future__ import annotations

import dataclasses
import functools
import pathlib
import time
import tomllib

import h5py
import numpy as np

FORMAT = "pgdx-run"
SUPPORTED_VERSIONS = (1,)
# Written by every run (docs/hdf5-layout.md); /spectral/* exists only for tasks on a grid:
# fft_error/modes for the 1-D grid (regression1d), fft_error_2d/shells/grid_shape for 2-D (regression2d).
REQUIRED_DATASETS = ("init/params", "history/step", "history/train_loss")
SPECTRUM_2D_DATASETS = ("spectral/grid_shape", "spectral/shells", "spectral/step")
# polynomial_teacher (Fig. 6): residual spectra along two rays through input space.
SUBSPACE_DATASETS = ("subspace/modes", "subspace/step", "subspace/fft_error_train", "subspace/fft_error_test")
FINAL_STATUSES = ("completed", "diverged", "interrupted")
PARTIAL_SUFFIX = ".h5.partial"
# Checking a file reads it all, but never holds more than this much of one dataset at once.
READ_BLOCK_BYTES = 64 << 20


class RunFileError(Exception):
    """A run file or folder is missing, unreadable, truncated, inconsistent or not written by pgdx."""


def _error(path, problem) -> RunFileError:
    """A RunFileError '<path>: <problem>' squeezed onto a single line (HDF5 messages can span lines)."""
    return RunFileError(" ".join(f"{path}: {problem}".split()))


@dataclasses.dataclass
class Spectrum2D:
    """The 2-D residual spectrum of a regression2d run (EXPERIMENTS.md §0.6)."""

    grid_shape: tuple  # (nx, ny); sample j = a·ny + b lies at x = a/(nx−1), y = b/(ny−1)
    shells: np.ndarray  # (M,) int64 radial shell numbers m
    step: np.ndarray  # (S,) int64
    shell_error: np.ndarray  # (S, M): e_m, the mean of E_{k,l} over shell m


@dataclasses.dataclass
class FullSpectrum2D:
    """/spectral_full of a regression2d run: every E_{k,l}, at a coarser cadence."""

    step: np.ndarray  # (S2,) int64
    error: np.ndarray  # (S2, nx, ny): E_{k,l} = |FFT2(r)_{k,l}| / n, unshifted (numpy's fft2 order)


@dataclasses.dataclass
class Subspace:
    """/subspace of a polynomial_teacher run (EXPERIMENTS.md §5): e_k = (1/m)|DFT_k(r)| of the
    residual r_j = y(c_j v) − g(c_j v), c_j = j/(m−1), along the ray through v."""

    modes: np.ndarray  # (M,) int64 wave numbers k = 0 … m/2
    step: np.ndarray  # (S,) int64
    train: np.ndarray  # (S, M): v = the first training input
    test: np.ndarray  # (S, M): v = (1, …, 1)


# run.ntk_every > 0 (docs/diagnostics.md): the probe kernel's spectrum and the laziness metrics.
KERNEL_DATASETS = ("ntk/step", "ntk/bands", "ntk/eigenvalues", "ntk/projection", "ntk/band_energy",
                   "ntk/rate_measured", "ntk/rate_predicted")
LAZY_NAMES = ("dist_from_init", "kernel_drift", "kernel_alignment", "linearization_gap")


@dataclasses.dataclass
class Kernel:
    """/ntk: K = J Jᵀ on the probe set at its recordings (docs/diagnostics.md). Row s of the rates
    covers the steps step[s−1] … step[s] in the eigenbasis of row s−1 (row 0 is NaN)."""

    step: np.ndarray  # (S,) int64
    bands: np.ndarray  # (B,) int64: band b holds 10^-(b+1) < λ/λ_max ≤ 10^-b, the last one everything below
    eigenvalues: np.ndarray  # (S, M) descending
    projection: np.ndarray  # (S, M) ê = Uᵀe
    band_energy: np.ndarray  # (S, B) Σ ê_i² per band
    rate_measured: np.ndarray  # (S, M) per-step contraction, geometric mean over the interval
    rate_predicted: np.ndarray  # (S, M) the lemma's |factor| for the optimizer that ran (NaN: none)


def _read_kernel(path: pathlib.Path, f: h5py.File) -> Kernel | None:
    """/ntk, every dataset present and of matching widths; None when the run did not record it."""
    if "ntk" not in f:
        return None
    step, bands, *rows = (_dataset(path, f, name) for name in KERNEL_DATASETS)
    modes = rows[0].shape[1] if rows[0].ndim == 2 else -1
    for name, values in zip(KERNEL_DATASETS[2:], rows):
        width = bands.size if name == "ntk/band_energy" else modes
        if values.ndim != 2 or values.shape != (step.size, width):
            raise _error(path, f"/{name} has shape {values.shape}, expected ({step.size}, {width})")
    return Kernel(step, bands, *rows)


def _read_lazy(path: pathlib.Path, f: h5py.File) -> dict | None:
    """/lazy as {"step": …, name: (S,) array}; None when the run did not record it."""
    if "lazy" not in f:
        return None
    return {name: _dataset(path, f, "lazy/" + name) for name in ("step",) + LAZY_NAMES}


@dataclasses.dataclass
class Run:
    """One run file, read into memory when loaded (the files are small), except the 2-D spectra,
    which are read on first use so that loading a large sweep for a table stays cheap."""

    path: pathlib.Path
    attrs: dict  # root attributes as str / int / float
    config: dict  # the effective configuration (root attribute `config`, parsed TOML)
    history: dict  # name -> (R,) array, from /history
    spectral_step: np.ndarray  # (S,) int64, empty when the task has no spectrum
    spectral_modes: np.ndarray  # (M,) int64
    fft_error: np.ndarray  # (S, M)
    init_params: np.ndarray  # (p,)

    @functools.cached_property
    def spectrum_2d(self) -> Spectrum2D | None:
        """The 2-D spectrum, read on first use (other figures never need it); None when the
        file has no /spectral/fft_error_2d, i.e. is not a regression2d run."""
        return _with_file(self.path, _read_spectrum_2d)

    @functools.cached_property
    def subspace(self) -> Subspace | None:
        """The ray spectra, read on first use; None when the file has no /subspace group."""
        return _with_file(self.path, _read_subspace)

    @functools.cached_property
    def kernel(self) -> Kernel | None:
        """/ntk, read on first use; None when the run did not record it (run.ntk_every = 0)."""
        return _with_file(self.path, _read_kernel)

    @functools.cached_property
    def lazy(self) -> dict | None:
        """/lazy (step and the laziness metrics), read on first use; None when not recorded."""
        return _with_file(self.path, _read_lazy)

    @functools.cached_property
    def full_spectrum_2d(self) -> FullSpectrum2D | None:
        """/spectral_full, read on first use (it is nx·ny values per row); None when absent."""
        spectrum = self.spectrum_2d
        if spectrum is None:
            return None
        return _with_file(self.path, functools.partial(_read_full_spectrum_2d, grid_shape=spectrum.grid_shape))

    @property
    def task(self) -> str:
        return self.attrs.get("task", self.config.get("task", {}).get("name", "?"))

    @property
    def name(self) -> str:
        return self.attrs.get("run_name", self.path.stem)

    @property
    def optimizer(self) -> str:
        return self.attrs.get("optimizer", self.config.get("optimizer", {}).get("name", "?"))

    @property
    def status(self) -> str:
        return self.attrs.get("status", "?")

    @property
    def mu(self) -> float:
        """LM damping μ from the config (NaN when not set); only meaningful for lm."""
        return float(self.config.get("optimizer", {}).get("mu", float("nan")))

    @property
    def alpha(self) -> float:
        """α = model.init_scale, the factor on every initial parameter (pgdx's default 1)."""
        return float(self.config.get("model", {}).get("init_scale", 1.0))

    @functools.cached_property
    def phases_end_step(self) -> np.ndarray:
        """/phases/end_step (int64): the last step of each optimizer phase of a switching run
        (e.g. [2000, 22000]); empty for single-optimizer runs. Read on first use."""
        return _with_file(self.path, lambda path, f: _array(f, "phases/end_step").astype(np.int64))

    @property
    def is_switching(self) -> bool:
        """Several optimizers one after another ([[phase]] tables; optimizer attribute 'lm+adamw')."""
        return "+" in self.optimizer or "phase" in self.history


def positive_setting(run: Run, key: str, default: float, meaning: str) -> float:
    """The config value `section.name` (default when not set) as a finite number > 0; anything else
    is a RunFileError naming the file, since the figures label and colour their curves by it."""
    section, name = key.split(".")
    value = run.config.get(section, {}).get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise _error(run.path, f"config {key} = {value!r}, expected a positive number ({meaning})")
    return float(value)


def _plain(value):
    """An h5py attribute value as a plain Python str / int / float (arrays are left alone)."""
    if isinstance(value, bytes):  # fixed-length strings (np.bytes_ is a bytes subclass)
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _array(f: h5py.File, name: str, empty_shape=(0,)) -> np.ndarray:
    """The dataset `name` read into memory, or an empty array when the file does not have it."""
    return f[name][()] if name in f else np.zeros(empty_shape)


def _read(path: pathlib.Path, f: h5py.File, whole: bool = True) -> Run:
    """Check that `f` is a pgdx run file of a known version and read it; raises RunFileError.
    whole=False reads a run still being written (no final status, no /final yet): only what it has
    recorded so far, every record column cut to the rows all of them have."""
    attrs = {key: _plain(value) for key, value in f.attrs.items()}
    if "format" not in attrs:
        raise _error(path, "not a pgdx run file (no root attribute 'format')")
    if attrs["format"] != FORMAT:
        raise _error(path, f"not a pgdx run file (root attribute format = {attrs['format']!r}, expected {FORMAT!r})")
    version = attrs.get("format_version")
    if version not in SUPPORTED_VERSIONS:
        raise _error(path, f"format_version {version!r} is not supported (this reader knows {SUPPORTED_VERSIONS})")
    for name in REQUIRED_DATASETS:
        if not isinstance(f.get(name), h5py.Dataset):
            raise _error(path, f"dataset /{name} is missing")
    if whole:
        check_whole(path, f, attrs)
    try:
        config = tomllib.loads(attrs.get("config", ""))
    except tomllib.TOMLDecodeError as e:
        raise _error(path, f"root attribute 'config' is not valid TOML ({e})") from None
    history = {name: ds[()] for name, ds in f["history"].items() if isinstance(ds, h5py.Dataset)}
    spectral_step, fft_error = _array(f, "spectral/step"), _array(f, "spectral/fft_error", (0, 0))
    if not whole:
        # Columns are appended one after another, so a file caught mid-write may be a row short in some.
        rows = min(len(values) for values in history.values())
        history = {name: values[:rows] for name, values in history.items()}
        spectral_rows = min(len(spectral_step), len(fft_error))
        spectral_step, fft_error = spectral_step[:spectral_rows], fft_error[:spectral_rows]
    run = Run(path=path, attrs=attrs, config=config, history=history,
              spectral_step=spectral_step, spectral_modes=_array(f, "spectral/modes"),
              fft_error=fft_error, init_params=f["init/params"][()])
    if run.fft_error.size and (run.fft_error.ndim != 2 or run.fft_error.shape[1] != run.spectral_modes.size):
        # Mislabelled columns would silently plot the wrong wave numbers.
        raise _error(path, f"/spectral/fft_error has shape {run.fft_error.shape} "
                           f"but /spectral/modes has {run.spectral_modes.size} entries")
    return run


def _read_back(path, name: str, ds: h5py.Dataset) -> None:
    """Reads `ds` once, in blocks of whole chunks, and drops it: HDF5 verifies the Fletcher-32
    checksum of every chunk read, so damaged data raises here (as OSError, from h5py)."""
    try:
        if ds.shape is None or ds.size == 0:
            return
        if ds.ndim == 0:
            ds[()]
            return
        rows = ds.chunks[0] if ds.chunks else 1
        row_bytes = ds.dtype.itemsize * int(np.prod(ds.shape[1:]))
        rows *= max(1, READ_BLOCK_BYTES // max(1, rows * row_bytes))
        for start in range(0, ds.shape[0], rows):
            ds[start:start + rows]
    except OSError as e:
        raise _error(path, f"dataset /{name} does not read back ({e})") from None


def _is_extendible(ds) -> bool:
    """A per-record dataset (unlimited first axis); fixed axes such as /spectral/modes are not."""
    return isinstance(ds, h5py.Dataset) and ds.maxshape is not None and len(ds.maxshape) > 0 \
        and ds.maxshape[0] is None


def check_whole(path, f: h5py.File, attrs: dict) -> None:
    """The checks of pgdx's own io::check_run_file (docs/hdf5-layout.md, "When a file is whole"): a
    final status, every dataset readable (checksums), θ₀ and θ of num_params entries, a non-empty
    /history/step whose last step is steps_completed, and in every group with a step column each
    per-record dataset as long as that column. Raises RunFileError naming the file and the problem."""
    status = attrs.get("status")
    if status not in FINAL_STATUSES:
        raise _error(path, "root attribute 'status' is missing" if status is None else
                     f"root attribute status is {status!r}, not a final status ({', '.join(FINAL_STATUSES)})")
    datasets = []
    f.visititems(lambda name, obj: datasets.append((name, obj)) if isinstance(obj, h5py.Dataset) else None)
    for name, ds in datasets:
        _read_back(path, name, ds)
    for key in ("num_params", "steps_completed"):
        if not isinstance(attrs.get(key), int):
            raise _error(path, f"root attribute {key} is missing or not an integer")
    for name in ("init/params", "final/params"):
        shape = _dataset(path, f, name).shape
        if shape != (attrs["num_params"],):
            raise _error(path, f"dataset /{name} has shape {list(shape)}, root attribute num_params is "
                               f"{attrs['num_params']}")
    steps = _dataset(path, f, "history/step")
    if steps.size == 0:
        raise _error(path, "dataset /history/step is empty")
    # Every status records its last step except interrupted, which may stop between records but
    # then checkpointed the step it stopped after.
    last, completed = int(steps[-1]), attrs["steps_completed"]
    if last != completed and not (status == "interrupted" and last < completed):
        raise _error(path, f"dataset /history/step ends at step {last}, root attribute steps_completed is {completed}")
    if status == "interrupted" and _dataset(path, f, "checkpoint/step").tolist() != [completed]:
        raise _error(path, f"dataset /checkpoint/step is not [{completed}], the steps_completed of this "
                           "interrupted run")
    for group in f.values():
        if isinstance(group, h5py.Group) and isinstance(group.get("step"), h5py.Dataset):
            rows = group["step"].shape[0] if group["step"].ndim else 1
            for ds in group.values():
                if _is_extendible(ds) and ds.shape[0] != rows:
                    raise _error(path, f"dataset {ds.name} has {ds.shape[0]} rows, {group.name}/step has {rows}")


def _dataset(path, f: h5py.File, name: str) -> np.ndarray:
    if not isinstance(f.get(name), h5py.Dataset):
        raise _error(path, f"dataset /{name} is missing")
    return f[name][()]


def _read_spectrum_2d(path: pathlib.Path, f: h5py.File) -> Spectrum2D | None:
    """/spectral/fft_error_2d with its grid shape, shells and steps, checked against each other."""
    if "spectral/fft_error_2d" not in f:
        return None
    grid, shells, step, error = (_dataset(path, f, n) for n in SPECTRUM_2D_DATASETS + ("spectral/fft_error_2d",))
    if grid.shape != (2,) or np.any(grid < 1):
        raise _error(path, f"/spectral/grid_shape is {grid.tolist()}, expected [nx, ny]")
    nx, ny = (int(v) for v in grid)
    if error.ndim != 2 or error.shape[1] != shells.size:
        # Mislabelled columns would silently plot the wrong shells.
        raise _error(path, f"/spectral/fft_error_2d has shape {error.shape} "
                           f"but /spectral/shells has {shells.size} entries")
    return Spectrum2D(grid_shape=(nx, ny), shells=shells, step=step, shell_error=error)


def _read_subspace(path: pathlib.Path, f: h5py.File) -> Subspace | None:
    """/subspace/*: all four datasets, the error matrices checked against the modes."""
    if "subspace" not in f:
        return None
    modes, step, train, test = (_dataset(path, f, name) for name in SUBSPACE_DATASETS)
    for name, error in zip(SUBSPACE_DATASETS[2:], (train, test)):
        if error.ndim != 2 or error.shape[1] != modes.size:
            # Mislabelled columns would silently plot the wrong wave numbers.
            raise _error(path, f"/{name} has shape {error.shape} but /subspace/modes has {modes.size} entries")
    return Subspace(modes=modes, step=step, train=train, test=test)


def _read_full_spectrum_2d(path: pathlib.Path, f: h5py.File, grid_shape) -> FullSpectrum2D | None:
    if "spectral_full/fft_error_2d" not in f:
        return None
    nx, ny = grid_shape
    step, full = _dataset(path, f, "spectral_full/step"), _dataset(path, f, "spectral_full/fft_error_2d")
    if full.ndim != 2 or full.shape[1] != nx * ny:
        raise _error(path, f"/spectral_full/fft_error_2d has shape {full.shape}, expected (S, {nx * ny}) "
                           f"for the {nx}x{ny} grid")
    return FullSpectrum2D(step=step, error=full.reshape(full.shape[0], nx, ny))  # row-major: k over x, l over y


def _with_file(path: pathlib.Path, read):
    """read(path, open file), with every h5py failure turned into a one-line RunFileError."""
    try:
        # pgdx holds an HDF5 (fcntl) lock on a file it is writing; a reader only looks.
        with h5py.File(path, "r", locking=False if is_partial(path) else None) as f:
            return read(path, f)
    except RunFileError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as e:
        # h5py reports a non-HDF5 or truncated file as OSError when opening or reading.
        raise _error(path, f"cannot be read as a pgdx run file, not HDF5 or truncated? ({e})") from None


def load_run(path) -> Run:
    """Read one run file; any problem with it raises RunFileError naming the file."""
    path = pathlib.Path(path)
    if not path.exists():
        raise _error(path, "no such file")
    if not path.is_file():
        raise _error(path, "not a file")
    return _with_file(path, _read)


def is_partial(path) -> bool:
    """NAME.h5.partial: a run in progress, or one that died (docs/hdf5-layout.md)."""
    return pathlib.Path(path).name.endswith(PARTIAL_SUFFIX)


def load_partial_run(path, attempts: int = 3, pause_seconds: float = 0.5) -> Run:
    """A NAME.h5.partial file read as it is now (status `running`): its records so far. pgdx may be
    appending to it while we read, which can fail half-way, so a failed read is retried a few times
    before the RunFileError is raised."""
    path = pathlib.Path(path)
    for attempt in range(attempts):
        try:
            return _with_file(path, functools.partial(_read, whole=False))
        except RunFileError:
            if attempt == attempts - 1 or not path.exists():
                raise
            time.sleep(pause_seconds)


def find_partial_runs(run_dir) -> list[pathlib.Path]:
    """The NAME.h5.partial files of a folder, sorted by name."""
    return sorted(p for p in pathlib.Path(run_dir).glob("*" + PARTIAL_SUFFIX) if p.is_file())


def find_runs(run_dir) -> list[pathlib.Path]:
    """The finished run files (*.h5) in a folder, sorted by name; a run file instead of a folder
    stands for itself (the command `pgdx train` prints draws the one run it wrote).

    `*.h5.partial` files are runs still in progress or ones that crashed, so they are left out.
    """
    run_dir = pathlib.Path(run_dir)
    if run_dir.is_file():
        return [run_dir]
    if not run_dir.is_dir():
        raise _error(run_dir, "no such directory")
    return sorted(p for p in run_dir.glob("*.h5") if p.is_file() and not _is_table(p))


def _is_table(path: pathlib.Path) -> bool:
    """A table written by `postprocess collect` (it may sit among the runs it summarises)."""
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("format") == "pgdx-table"
    except OSError:
        return False  # unreadable: load_run reports it


def load_runs(run_dir) -> list[Run]:
    """Every finished run in a folder; a folder without any is a RunFileError too."""
    paths = find_runs(run_dir)
    if not paths:
        partial = len(list(pathlib.Path(run_dir).glob("*.h5.partial")))
        hint = f" ({partial} *.h5.partial file(s): runs in progress or crashed)" if partial else ""
        raise _error(run_dir, f"no run files (*.h5){hint}")
    return [load_run(p) for p in paths]


def load_task_runs(run_dir, figure: str, task: str, wanted, what: str) -> list[Run]:
    """Every run of `task` in `run_dir`, provided wanted(run) holds for one of them at least. Runs
    of other tasks are skipped, since a results folder often mixes figures; no wanted run at all is
    a RunFileError naming the folder and what it does hold."""
    runs = load_runs(run_dir)
    chosen = [r for r in runs if r.task == task]
    if not any(wanted(r) for r in chosen):
        tasks = ", ".join(sorted({r.task for r in runs}))
        raise _error(run_dir, f"{figure} needs {what}, found none among {len(runs)} run file(s) (tasks: {tasks})")
    return chosen
