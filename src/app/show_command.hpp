#pragma once
// `pgdx show FILE`: a quick look at a run file without Python — its status (checked as sweeps and
// --resume check it), where it came from, its final metrics, grokking numbers, phases, the stored
// configuration and every dataset's shape (docs/hdf5-layout.md).
#include <string>

namespace pgdx::app {

// Prints the report and returns 0. A path that is missing, not HDF5, not a pgdx run file, or a
// final file that is not whole (io::check_run_file) throws DataError: one line, exit code 2.
int run_show(const std::string& path);

}  // namespace pgdx::app
