#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pgdx/parallel/comm.hpp"

namespace pgdx::app {

struct SweepArguments {
  std::string config_file;
  std::vector<std::string> overrides;
  std::string out_dir;  // default runs/<config stem>
  bool count = false, list = false, status = false, local = false, quiet = false;
  std::optional<long> task_id;
  int jobs = 1;   // --local: grid points run at once
  int ranks = 1;  // --local: MPI ranks per grid point
};

// Whether this invocation computes (and so needs MPI): only --task-id does.
bool sweep_needs_mpi(const SweepArguments& args);

// `pgdx sweep`. `world` is called only when MPI is initialised (task runs).
int run_sweep(const SweepArguments& args, const std::function<parallel::Comm()>& world);

}  // namespace pgdx::app
