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
  bool print_postprocess = true;  // end with the command that draws the run (a sweep's points do not)
};

// `pgdx train`: returns the process exit code; throws InputError for bad input.
int run_train(const TrainArguments& args, const parallel::Comm& comm);

// How run_configured ended, beyond its exit code (which is 0 for all three: a duplicate array
// element must not fail its array): `sweep --local` tells a point it ran from one it left alone.
enum class RunOutcome { ran, running_elsewhere, finished_already };
const char* to_string(RunOutcome outcome);

// One run of an already loaded configuration (train, and each sweep point). args.config_file and
// args.overrides are not read. `outcome`, if given, is set on every rank.
int run_configured(const io::RunConfig& config, const TrainArguments& args, const parallel::Comm& comm,
                   RunOutcome* outcome = nullptr);

}  // namespace pgdx::app
