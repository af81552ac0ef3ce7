#include "plan_command.hpp"

#include <cstdio>
#include <iostream>

#include "pgdx/io/sweep_config.hpp"
#include "plan.hpp"
#include "pgdx/util/errors.hpp"

namespace pgdx::app {

int run_plan(const std::string& file, const std::vector<std::string>& overrides, int ranks, bool every_point) {
  if (ranks < 1) throw ConfigError(file, "", "--ranks must be >= 1");
  const io::SweepSpec spec = io::load_sweep(file, overrides);  // a plain config is a 1-point sweep
  const io::RunConfig config = spec.point_config(0);
  std::printf("plan for %s%s (%s, %s)\n", file.c_str(), spec.count() > 1 ? " (first of the sweep's points)" : "",
              io::phase_methods(config, "+").c_str(), config.task.name.c_str());
  const Plan plan = make_plan(config, ranks);
  std::cout << plan;
  // A sweep whose first point is first-order (Fig. 1: SGD first) may still have LM/GN points: the
  // step model of the first of them.
  for (std::size_t k = 1; !plan.step_shape && k < spec.count(); ++k) {
    const io::RunConfig point = spec.point_config(k);
    if (const auto shape = second_order_step_shape(point)) {
      std::printf("the sweep's first LM/GN point, %zu (%s):\n", k, point.run.name.c_str());
      print_step_cost(std::cout, *shape, model_step(*shape, ranks, reference_machine()), reference_machine());
      break;
    }
  }
  const double available = available_memory_bytes();
  if (available > 0) std::printf("this node has %.2f GiB available\n", available / 1073741824.0);
  if (every_point) {
    // What a user sizing a sweep needs: each point's time (LM and SGD points differ by orders of
    // magnitude), and the sum — the wall on one slot, divided by the slots that run at once.
    double total = 0.0;
    for (std::size_t k = 0; k < spec.count(); ++k) {
      const io::RunConfig point = spec.point_config(k);
      const Plan point_plan = make_plan(point, ranks);
      total += point_plan.seconds_total;
      std::printf("point %zu %s: %.3g s per run, %.3g GiB per rank\n", k, point.run.name.c_str(), point_plan.seconds_total,
                  point_plan.bytes_per_rank / 1073741824.0);
    }
    std::printf("sweep_points=%zu sweep_seconds=%.6g\n", spec.count(), total);
  }
  return 0;
}

}  // namespace pgdx::app
