#pragma once
// Whether a final run file (NAME.h5) is whole, so a sweep's ledger, --resume and post-processing do
// not trust its `status` attribute alone (docs/hdf5-layout.md, "When a file is whole").
#include <string>

namespace pgdx::io {

enum class RunFileState { completed, diverged, interrupted, corrupt };

std::string to_string(RunFileState state);

struct RunFileCheck {
  RunFileState state = RunFileState::corrupt;
  std::string reason;  // corrupt only: one line naming the dataset or attribute at fault
};

// Never throws: a file that cannot be opened or read is `corrupt`. Reads every dataset once, so it
// costs about one read of the file.
RunFileCheck check_run_file(const std::string& path);

}  // namespace pgdx::io
