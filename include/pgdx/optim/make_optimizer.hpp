#pragma once
#include <memory>

#include "pgdx/optim/optimizer.hpp"
#include "pgdx/optim/optimizer_options.hpp"

namespace pgdx::optim {

// The optimizer named by options.method (options must already be validated).
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options);

}  // namespace pgdx::optim
