#pragma once
#include <string>
#include <vector>

#include "pgdx/parallel/comm.hpp"
#include "pgdx/io/run_config.hpp"

namespace pgdx::app {

struct TrainArguments {
  std::string config_file;
  std::vector<std::string> overrides;
  std::string out_dir = "runs";
  bool quiet = false;
  bool resume = false;  // continue an interrupted run (or a crashed one with a checkpoint)
};

// `pgdx train`: returns the process exit code; throws InputError for bad input.
int run_train(const TrainArguments& args, const parallel::Comm& comm);

// One run of an already loaded configuration (train, and each sweep point). args.config_file and
// args.overrides are not read.
int run_configured(const io::RunConfig& config, const TrainArguments& args, const parallel::Comm& comm);

}  // namespace pgdx::app
