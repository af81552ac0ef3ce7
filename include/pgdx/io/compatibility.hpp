#pragma once
// The one place where keys of different tables are checked against each other: the model against
// the task's widths and residual, the loss against the task's targets, every phase's optimizer
// and the problem's Gram layout against the model's capabilities. It asks the task registry and
// the model's capabilities (never names of tasks or models) and throws ConfigError naming the
// file and the key a user should change, before anything runs. Code past this check asserts
// instead of re-checking.
#include "pgdx/io/run_config.hpp"

namespace pgdx::io {

void check_compatibility(const RunConfig& config);

}  // namespace pgdx::io
