#pragma once
// One draw of a weight initialisation named by the paper (EXPERIMENTS.md §0.5), for a layer with
// the given fans. Models draw their parameters in θ order from the run's init stream.
#include <cstddef>

#include "pgdx/model/mlp_options.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::model {

double initial_value(Init init, std::size_t fan_in, std::size_t fan_out, Rng& rng);

}  // namespace pgdx::model
