#pragma once
#include <string>
#include <vector>

namespace pgdx::app {

// `pgdx plan FILE [--set k=v]… [--ranks R]`: prints pgdx::run::Plan. A sweep file is planned for
// each distinct point size only once: its first point.
int run_plan(const std::string& file, const std::vector<std::string>& overrides, int ranks);

}  // namespace pgdx::app
