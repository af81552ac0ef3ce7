#include "pgdx/model/model_registry.hpp"

#include <stdexcept>

namespace pgdx::model {

// One line per model kind; its entry function lives in the model's own file.
#define PGDX_MODELS(X) X(mlp) X(committee) X(transformer)

#define PGDX_DECLARE_MODEL(name) ModelEntry name##_entry();
PGDX_MODELS(PGDX_DECLARE_MODEL)
#undef PGDX_DECLARE_MODEL

const std::vector<ModelEntry>& model_registry() {
#define PGDX_MODEL_ENTRY(name) name##_entry(),
  static const std::vector<ModelEntry> entries = {PGDX_MODELS(PGDX_MODEL_ENTRY)};
#undef PGDX_MODEL_ENTRY
  return entries;
}

const ModelEntry& find_model(ModelKind kind) {
  for (const ModelEntry& entry : model_registry())
    if (entry.kind == kind) return entry;
  throw std::logic_error("model kind " + to_string(kind) + " has no registry entry");
}

std::unique_ptr<Model> make_model(const MlpOptions& options, std::uint64_t seed) {
  return find_model(options.kind).make(options, seed);
}

}  // namespace pgdx::model
