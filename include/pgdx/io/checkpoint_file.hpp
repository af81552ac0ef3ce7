#pragma once
// A run::Checkpoint in the run file's /checkpoint group (docs/hdf5-layout.md).
#include <map>
#include <optional>
#include <string>

#include "pgdx/io/h5_file.hpp"
#include "pgdx/run/checkpoint.hpp"

namespace pgdx::io {

// Replaces /checkpoint in the file.
void write_checkpoint(H5File& file, const run::Checkpoint& checkpoint);
bool has_checkpoint(const H5File& file);
// The newest whole (sealed) checkpoint group, "/checkpoint" or "/checkpoint_next"; "" if none.
std::string checkpoint_group(const H5File& file);
// The digests of the record rows the newest whole checkpoint vouches for (by dataset path);
// nullopt for checkpoints written before they existed.
std::optional<std::map<std::string, H5File::RowDigest>> checkpoint_row_digests(const H5File& file);
// Throws DataError naming the file if /checkpoint is missing or incomplete. A checkpoint written
// before the grokking state was part of it gets that state from the history rows up to its step.
run::Checkpoint read_checkpoint(const H5File& file, double grokking_test_accuracy);

}  // namespace pgdx::io
