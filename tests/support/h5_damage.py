"""Damage a run file the way a failing disk or a bad copy would (tests of the file check), and
check whether a file reads back whole."""
import h5py


def stored_offset(path, dataset):
    """File offset of the first stored byte of `dataset` (None when nothing is stored): HDF5 1.10's
    H5Dget_chunk_info for chunked datasets, H5Dget_offset for contiguous ones."""
    with h5py.File(path, "r") as f:
        ds = f[dataset]
        if ds.chunks:
            return ds.id.get_chunk_info(0).byte_offset if ds.id.get_num_chunks() else None
        return ds.id.get_offset()


def flip_bit(path, offset):
    """One bit flipped with plain file I/O."""
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ 0x10]))


def _read_dataset(name, obj):
    """Reads every byte of a dataset (HDF5 verifies its checksums); returns None, because
    visititems stops at the first callback that returns anything else."""
    if isinstance(obj, h5py.Dataset):
        obj[()]


def readable(path):
    """True if every dataset of the file reads back: False on a bad checksum or a torn group
    heap ("Object visitation failed")."""
    try:
        with h5py.File(path, "r") as f:
            f.visititems(_read_dataset)
        return True
    except (OSError, RuntimeError):
        return False
