#pragma once
#include <string>
#include <vector>

#include "pgdx/dist/comm.hpp"

namespace pgdx::app {

struct TrainArguments {
  std::string config_file;
  std::vector<std::string> overrides;
  std::string out_dir = "runs";
  bool quiet = false;
};

// `pgdx train`: returns the process exit code; throws InputError for bad input.
int run_train(const TrainArguments& args, const dist::Comm& comm);

}  // namespace pgdx::app
