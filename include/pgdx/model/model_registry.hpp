#pragma once
// Every model kind (model.kind) is one entry: what it can do — its capabilities, known from the
// options without building it — its parameter count, and how to build it. The compatibility check
// (io/compatibility.hpp) asks capabilities, never kinds; `pgdx plan` asks the parameter count.
// Adding a model: its class, its entry function in its own file, one line in
// src/model/model_registry.cpp (docs/architecture.md).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pgdx/model/mlp_options.hpp"
#include "pgdx/model/model.hpp"

namespace pgdx::model {

// What a model can do for the problem and the optimizers. A capability the model lacks comes with
// the key that decides it and what to set instead, "key: advice", for the one-line error.
struct ModelCapabilities {
  bool structured_gram = false;    // K = J Jᵀ from layer factors without J (gram_factors.hpp)
  bool parameter_gram = false;     // JᵀJ without J (LM in the parameter space)
  bool input_derivatives = false;  // u, Δu and their θ-derivatives (PDE residuals, model/mlp_laplacian.hpp)
  bool matrix_free = true;         // J v and Jᵀ u (every Model has jvp and vjp)
  bool token_inputs = false;       // reads token ids (a sequence model), not feature vectors; its widths come from the task
  bool explicit_jacobian = true;   // J (p × N) may be formed: false for models far too large for it
  std::string why_no_structured_gram, why_no_parameter_gram, why_no_input_derivatives, why_no_explicit_jacobian;
};

struct ModelEntry {
  ModelKind kind;
  std::function<ModelCapabilities(const MlpOptions&)> capabilities;
  std::function<std::size_t(const MlpOptions&)> parameter_count;
  std::function<std::unique_ptr<Model>(const MlpOptions&, std::uint64_t seed)> make;
};

const std::vector<ModelEntry>& model_registry();
const ModelEntry& find_model(ModelKind kind);

// The model a run's [model] table describes (options validated), θ₀ drawn from `seed`.
std::unique_ptr<Model> make_model(const MlpOptions& options, std::uint64_t seed);

}  // namespace pgdx::model
