#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pgdx/parallel/comm.hpp"

namespace pgdx::app {

struct LmStepBenchArguments {
  std::vector<std::size_t> layers = {784, 250, 10};
  std::string activation = "relu";
  std::size_t samples = 200;
  std::string gram = "structured";
  int steps = 5;
  std::uint64_t seed = 0;
  int block = 64;
  long distributed_min_rows = 1024;
};

// `pgdx bench lm-step`: times LM steps on random data, one line per phase, then a stable last line
// `seconds_per_step=<median>`. Prints figures only; never fails on time.
int run_lm_step_bench(const LmStepBenchArguments& args, const parallel::Comm& comm);

}  // namespace pgdx::app
