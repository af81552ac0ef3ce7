#pragma once
// A run::Checkpoint in the run file's /checkpoint group (docs/hdf5-layout.md).
#include "pgdx/io/h5_file.hpp"
#include "pgdx/run/checkpoint.hpp"

namespace pgdx::io {

// Replaces /checkpoint in the file.
void write_checkpoint(H5File& file, const run::Checkpoint& checkpoint);
bool has_checkpoint(const H5File& file);
// Throws DataError naming the file if /checkpoint is missing or incomplete. A checkpoint written
// before the grokking state was part of it gets that state from the history rows up to its step.
run::Checkpoint read_checkpoint(const H5File& file, double grokking_test_accuracy);

}  // namespace pgdx::io
