#include "pgdx/model/make_model.hpp"

#include "pgdx/model/committee.hpp"
#include "pgdx/model/mlp.hpp"

namespace pgdx::model {

std::unique_ptr<Model> make_model(const MlpOptions& options, std::uint64_t seed) {
  if (options.kind == ModelKind::committee) return std::make_unique<Committee>(options, seed);
  return std::make_unique<Mlp>(options, seed);
}

}  // namespace pgdx::model
