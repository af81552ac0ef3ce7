#pragma once
#include <string>
#include <vector>

namespace pgdx::app {

// `pgdx plan FILE [--set k=v]… [--ranks R]`: prints pgdx::run::Plan. A sweep file is planned for
// each distinct point size only once: its first point.
// Prints the plan of the config's first point; with `every_point`, then one line per point of a
// sweep (name, seconds per run, memory per rank) and `sweep_points=K sweep_seconds=S` (their sum).
int run_plan(const std::string& file, const std::vector<std::string>& overrides, int ranks, bool every_point);

}  // namespace pgdx::app
