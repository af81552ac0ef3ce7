"""Loading pgdx run files. Every problem with a file becomes one RunFileError line naming it."""
from __future__ import annotations

import dataclasses
import pathlib
import tomllib

import h5py
import numpy as np


class RunFileError(Exception):
    """A run file is missing, unreadable, truncated or not written by pgdx."""


@dataclasses.dataclass
class Run:
    path: pathlib.Path
    attrs: dict
    config: dict
    history: dict
    spectral_step: np.ndarray
    spectral_modes: np.ndarray
    fft_error: np.ndarray
    init_params: np.ndarray

    @property
    def optimizer(self) -> str:
        return self.attrs["optimizer"]

    @property
    def mu(self) -> float:
        return float(self.config.get("optimizer", {}).get("mu", float("nan")))


def _plain(value):
    """h5py attribute values as plain Python values."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_run(path) -> Run:
    path = pathlib.Path(path)
    if not path.is_file():
        raise RunFileError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: _plain(v) for k, v in f.attrs.items()}
            if attrs.get("format") != "pgdx-run":
                raise RunFileError(f"{path}: not a pgdx run file (root attribute 'format' is missing)")
            history = {name: ds[()] for name, ds in f["history"].items()} if "history" in f else {}
            spectral = f.get("spectral")
            empty = np.zeros((0,))
            return Run(
                path=path,
                attrs=attrs,
                config=tomllib.loads(attrs.get("config", "")),
                history=history,
                spectral_step=spectral["step"][()] if spectral is not None and "step" in spectral else empty,
                spectral_modes=spectral["modes"][()] if spectral is not None and "modes" in spectral else empty,
                fft_error=spectral["fft_error"][()] if spectral is not None and "fft_error" in spectral
                else np.zeros((0, 0)),
                init_params=f["init/params"][()] if "init/params" in f else empty,
            )
    except RunFileError:
        raise
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as e:
        raise RunFileError(f"{path}: cannot be read as a pgdx run file ({e})") from None


def find_runs(run_dir) -> list[pathlib.Path]:
    """Completed-looking run files (*.h5) in a folder; *.h5.partial files are in progress or dead."""
    run_dir = pathlib.Path(run_dir)
    if not run_dir.is_dir():
        raise RunFileError(f"{run_dir}: no such directory")
    files = sorted(run_dir.glob("*.h5"))
    if not files:
        raise RunFileError(f"{run_dir}: no run files (*.h5)")
    return files


def load_runs(run_dir) -> list[Run]:
    return [load_run(p) for p in find_runs(run_dir)]
