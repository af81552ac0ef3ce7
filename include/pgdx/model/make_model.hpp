#pragma once
// The model a run's [model] table describes (model.kind): the dense network or the committee.
#include <cstdint>
#include <memory>

#include "pgdx/model/mlp_options.hpp"
#include "pgdx/model/model.hpp"

namespace pgdx::model {

std::unique_ptr<Model> make_model(const MlpOptions& options, std::uint64_t seed);

}  // namespace pgdx::model
