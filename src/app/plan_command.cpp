#include "plan_command.hpp"

#include <cstdio>
#include <iostream>

#include "pgdx/io/sweep_config.hpp"
#include "plan.hpp"
#include "pgdx/util/errors.hpp"

namespace pgdx::app {

int run_plan(const std::string& file, const std::vector<std::string>& overrides, int ranks) {
  if (ranks < 1) throw ConfigError(file, "", "--ranks must be >= 1");
  const io::SweepSpec spec = io::load_sweep(file, overrides);  // a plain config is a 1-point sweep
  const io::RunConfig config = spec.point_config(0);
  std::printf("plan for %s%s (%s, %s)\n", file.c_str(), spec.count() > 1 ? " (first of the sweep's points)" : "",
              io::phase_methods(config, "+").c_str(), config.task.name.c_str());
  std::cout << make_plan(config, ranks);
  const double available = available_memory_bytes();
  if (available > 0) std::printf("this node has %.2f GiB available\n", available / 1073741824.0);
  return 0;
}

}  // namespace pgdx::app
