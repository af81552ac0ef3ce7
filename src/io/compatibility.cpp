#include "pgdx/io/compatibility.hpp"

#include <cmath>

#include <algorithm>
#include <string>

#include "pgdx/model/model_registry.hpp"
#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/errors.hpp"

namespace pgdx::io {
namespace {

// The largest probe kernel (N_probe · C rows): its eigen-decomposition, on every rank, costs
// ~9·M³ flops (~20 s at M = 4 096 on the reference machine's 8 GFLOP/s dsyevd).
constexpr std::size_t kMaxKernelRows = 4096;

std::string plural(std::size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// "key: advice" from a capability's reason.
[[noreturn]] void fail_with(const RunConfig& c, const std::string& reason, const std::string& context) {
  const auto colon = reason.find(": ");
  throw ConfigError(c.file, reason.substr(0, colon), context + ": " + reason.substr(colon + 2));
}

}  // namespace

void check_compatibility(const RunConfig& c) {
  const task::TaskEntry& task = task::find_task(c.task.name);
  const model::ModelCapabilities model = model::find_model(c.model.kind).capabilities(c.model);
  const bool output_residual = task.residual_kind == task::ResidualKind::output_minus_target;
  auto fail = [&](const std::string& key, const std::string& problem) { throw ConfigError(c.file, key, problem); };

  const auto [inputs, outputs] = task.dimensions(c.task);
  if (model.token_inputs != task.token_sequence)
    fail("model.kind", model.token_inputs ? "a " + model::to_string(c.model.kind) + " reads token sequences: task " +
                                                task.name + " has feature vectors (use modular_addition_sequence)"
                                          : "task " + task.name + " has token sequences: use model.kind = \"transformer\"");
  if (!model.token_inputs && (c.model.layers.front() != inputs || c.model.layers.back() != outputs))
    fail("model.layers", "task " + task.name + " needs " + plural(inputs, "input") + " and " + plural(outputs, "output"));
  if (task.residual_kind == task::ResidualKind::laplacian && !model.input_derivatives)
    fail_with(c, model.why_no_input_derivatives, "task " + task.name + " takes second derivatives of the model");
  if (c.residual_scale != 1.0 && !output_residual)
    fail("loss.residual_scale", "applies to f - y residuals, not to task " + task.name);

  if (c.loss_kind == loss::LossKind::cross_entropy) {
    if (!task.classification)
      fail("loss.kind", "cross_entropy needs one-hot class targets: task " + task.name + " has none");
    if (c.reduction == loss::Reduction::elementwise_mean)
      fail("loss.reduction", "cross_entropy takes sum or mean (a batch mean over samples)");
    if (c.residual_scale != 1.0) fail("loss.residual_scale", "must be 1 with cross_entropy");
  }
  for (std::size_t i = 0; i < c.phases.size(); ++i)
    if (std::isfinite(c.phases[i].until.train_accuracy_at_least) && !task.classification)
      fail("phase[" + std::to_string(i) + "].until.train_accuracy_at_least",
           "needs class targets: task " + task.name + " has none (use train_loss_below)");
  for (const run::Phase& phase : c.phases) {
    const optim::Method method = phase.optimizer.method;
    const bool least_squares = method == optim::Method::lm || method == optim::Method::gn;
    if (c.loss_kind == loss::LossKind::cross_entropy && least_squares)
      fail("optimizer.name",
           optim::to_string(method) + " solves least-squares problems; with loss.kind = cross_entropy use ggn");
    const bool forms_gram = least_squares || (method == optim::Method::ggn && phase.optimizer.solver != optim::CurvatureSolver::cg);
    if (forms_gram && !model.explicit_jacobian && !model.structured_gram)
      fail_with(c, model.why_no_explicit_jacobian, optim::to_string(method) + " forms a Gram matrix");
    if (method == optim::Method::ggn && !output_residual)
      fail("optimizer.name", "ggn needs a loss of the model outputs (task " + task.name + " has a PDE residual)");
    if (phase.optimizer.solve_space == optim::SolveSpace::parameter &&
        !(model.parameter_gram && output_residual))
      fail("optimizer.solve_space",
           "\"parameter\" needs a one-hidden-layer model with an f - y residual (JᵀJ without J); use auto or sample");
  }
  if (c.problem.gram == problem::GramMode::structured) {
    if (!output_residual)
      fail("optimizer.gram", "task " + task.name +
                                 " has a PDE residual, whose Gram matrix has no layer structure: use explicit or auto");
    if (!model.structured_gram) fail_with(c, model.why_no_structured_gram, "this model has no structured Gram matrix");
  }
  const std::size_t train_size = task.training_size(c.task);
  if (c.run.batch_size > train_size)
    fail("run.batch_size", "is larger than the training set (" + std::to_string(train_size) + ")");
  if (c.run.ntk_every > 0) {
    if (!model.explicit_jacobian && !(model.structured_gram && output_residual))
      fail_with(c, model.why_no_explicit_jacobian, "run.ntk_every forms the kernel J Jᵀ on the probe set");
    // The probe's K is held whole on every rank and decomposed there (diag/kernel_diagnostic.hpp).
    const std::size_t rows = std::min(c.run.ntk_probe, train_size) * outputs;
    if (rows > kMaxKernelRows)
      fail("run.ntk_probe", "gives a kernel of " + std::to_string(rows) + " rows (samples x " + plural(outputs, "output") +
                                "), more than the " + std::to_string(kMaxKernelRows) +
                                " a whole eigen-decomposition per recording affords: use fewer samples");
  }
}

}  // namespace pgdx::io
