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
  bool resume = false;  // continue an interrupted run (or a crashed one with a checkpoint)
};

// `pgdx train`: returns the process exit code; throws InputError for bad input.
int run_train(const TrainArguments& args, const dist::Comm& comm);

}  // namespace pgdx::app
