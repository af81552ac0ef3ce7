#pragma once
// How a resume continues a run file that a kill may have left torn. HDF5 keeps no journal: a
// process killed while HDF5 writes (a history chunk, a group's heap during a flush) can leave
// those objects unreadable, or readable with a wrong checksum, while everything flushed before
// the last checkpoint is intact. So a resume never writes into the old file: it copies the sound
// part — the root attributes, the header datasets, the record rows up to the checkpoint step
// (checked against the digests the checkpoint recorded) and the checkpoint itself — into a new
// file that then replaces NAME.h5.partial.
#include <string>

namespace pgdx::io {

// Rebuilds `target` (NAME.h5.partial) from `source` (the same path, or an interrupted NAME.h5,
// which is removed) cut at source's newest whole checkpoint; returns the checkpoint step. Throws
// DataError naming the file when the rows the checkpoint vouches for are damaged; other HDF5
// failures throw too. On any throw `source` is left as it was.
long rebuild_for_resume(const std::string& source, const std::string& target);

}  // namespace pgdx::io
