#include "plan.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "pgdx/diag/kernel_diagnostic.hpp"
#include "pgdx/model/model_registry.hpp"
#include "pgdx/model/transformer_options.hpp"
#include "pgdx/run/trainer.hpp"
#include "pgdx/task/task.hpp"

namespace pgdx::app {
namespace {

constexpr double kDouble = 8.0;
constexpr double kOverheadBytes = 48e6;  // MPI, HDF5, FFTW, BLAS buffers: 32 MB measured + margin
// Sustained rates on the reference machine (docs/performance.md), per rank.
constexpr double kGemmRate = 25e9;
constexpr double kCholeskyRate = 35e9;
constexpr double kEigenRate = 8e9;
constexpr double kVectorRate = 3e9;  // memory-bound forward/backward at small widths
// The transformer's dense products per rank with the SkylakeX kernels pgdx chooses on this VM
// (bench ggn-step on 2 ranks, docs/performance.md), and a p-vector reduction's bandwidth.
constexpr double kTransformerRate = 25e9;
constexpr double kReduceRate = 2e9;

std::string gib(double bytes) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(bytes < 1e9 ? 3 : 2) << bytes / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return os.str();
}

std::string duration(double s) {
  std::ostringstream os;
  if (s < 1e-3)
    os << std::setprecision(2) << s * 1e6 << " µs";
  else if (s < 1.0)
    os << std::setprecision(3) << s * 1e3 << " ms";
  else if (s < 3600)
    os << std::setprecision(3) << s << " s";
  else
    os << std::setprecision(3) << s / 3600 << " h";
  return os.str();
}

}  // namespace

namespace {

// Records of a run: each evaluates the model on the training and test sets. Step 0, the schedule's
// steps and the phase ends (the latter counted once each).
double recorded_steps(const io::RunConfig& c) {
  const double phase_ends = static_cast<double>(c.phases.size());
  if (c.run.record_log) return 1.0 + static_cast<double>(run::log_record_steps(c.run.steps).size()) + phase_ends;
  return std::ceil(static_cast<double>(c.run.steps) / static_cast<double>(c.run.record_every)) + 1.0 + phase_ends;
}

// Flops of assembling K (N × N rows) for a batch of n samples: from the layer factors (widths =
// Σ d_{l+1}, inputs = Σ d_l) or from explicit Jacobian rows (p per row); the lower triangle.
double gram_flops(bool structured, double N, double n, double widths, double inputs, double p) {
  return structured ? N * (N + 1) * widths + n * (n + 1) * inputs : N * (N + 1) * p;
}

// Eigen-decomposition with vectors (dsyevd) of an N × N matrix.
double eigen_seconds(double N) { return 10.0 * N * N * N / 3.0 / kEigenRate; }

// The kernel diagnostic (run.ntk_every > 0, diag/kernel_diagnostic.hpp): at each recording K on
// the probe (M = probe·C rows, assembled like the LM Gram matrix, shared by the ranks), its
// eigen-decomposition on every rank, J₀(θ − θ₀) (a product with the kept J₀ when it is small, else
// a jvp at θ₀) and a few M² products; in memory K, K₀, the current and previous eigenvectors, the
// eigensolver's copy and workspace (~8 M²), the kept J₀ and the probe's gathered Jacobian rows
// when K is not structured.
void add_kernel_diagnostic(const io::RunConfig& c, double widths, double inputs, Plan& plan) {
  if (c.run.ntk_every <= 0) return;
  const double probe = static_cast<double>(std::min(c.run.ntk_probe, plan.train_samples));
  const double M = probe * static_cast<double>(plan.outputs), p = static_cast<double>(plan.params);
  const double P = static_cast<double>(plan.ranks);
  plan.kernel_rows = static_cast<std::size_t>(M);
  plan.kernel_records = std::min(std::floor(static_cast<double>(c.run.steps) / static_cast<double>(c.run.ntk_every)) + 2.0,
                                 recorded_steps(c));
  const bool keeps_j0 = M * p <= static_cast<double>(diag::KernelDiagnostic::kReferenceJacobianMaxValues);
  plan.seconds_per_kernel_record = gram_flops(plan.structured, M, probe, widths, inputs, p) / kGemmRate / P +
                                   eigen_seconds(M) + (keeps_j0 ? 2.0 * p * M : 6.0 * p * probe) / kVectorRate +
                                   8.0 * M * M / kVectorRate;
  plan.bytes_per_rank += kDouble * (8.0 * M * M + (plan.structured ? 0.0 : p * M) + (keeps_j0 ? p * M : 0.0));
  plan.seconds_total += plan.kernel_records * plan.seconds_per_kernel_record;
}

// Matrix-free models (the transformer): no Gram system; GGN solves by CG with one GGN product
// (a jvp and a vjp, ~4 forward passes) per iteration. Memory: θ-sized vectors (θ, θ₀, g, h, the CG
// vectors r, d, Ad, a trial θ, Adam's moments) and the blocks' partial Jᵀz, the data, and the
// forward caches of the batch's blocks and of the evaluation.
Plan matrix_free_plan(const io::RunConfig& c, int ranks, Plan plan) {
  const model::TransformerOptions& t = c.model.transformer;
  const double p = static_cast<double>(plan.params), n = static_cast<double>(plan.batch), P = static_cast<double>(ranks);
  const double samples = static_cast<double>(plan.train_samples + plan.test_samples);
  const std::size_t block = c.problem.sample_block;
  const double local_blocks = block > 0 ? std::ceil(std::ceil(n / double(block)) / P) : 1.0;
  double bytes = kOverheadBytes;
  bytes += kDouble * static_cast<double>(t.context + t.vocab) * samples;             // data
  bytes += kDouble * (12.0 + local_blocks) * p;                                     // θ-sized vectors
  // Cached forward passes: at most 16 inputs (blocks), or the batch share and the evaluation share.
  const double cached = block > 0 ? 16.0 * double(block) : n / P + samples / P;
  bytes += kDouble * model::transformer_cached_doubles(t) * cached;
  plan.bytes_per_rank = bytes;
  const double forward = model::transformer_forward_flops(t) * n / P / kTransformerRate;
  plan.cg = plan.second_order;
  plan.seconds_per_product = 4.0 * forward + (ranks > 1 ? kDouble * p / kReduceRate : 0.0);
  const optim::OptimizerOptions& first = c.phases.front().optimizer;
  // A GGN step: the gradient (~3 forwards), up to cg_max_iterations products, one Armijo trial;
  // first-order: a forward and a vjp.
  plan.seconds_per_step = plan.cg ? 4.0 * forward + static_cast<double>(first.cg_max_iterations) * plan.seconds_per_product
                                  : 3.0 * forward;
  plan.seconds_total = plan.seconds_per_step * static_cast<double>(c.run.steps) +
                       recorded_steps(c) * model::transformer_forward_flops(t) * samples / P / kTransformerRate;
  return plan;
}

}  // namespace

namespace {

std::optional<StepShape> step_shape_for(const io::RunConfig& c, const task::Task& task) {
  if (c.model.kind != model::ModelKind::mlp) return std::nullopt;
  const auto phase = std::find_if(c.phases.begin(), c.phases.end(), [](const run::Phase& ph) {
    return ph.optimizer.method == optim::Method::lm || ph.optimizer.method == optim::Method::gn;
  });
  if (phase == c.phases.end()) return std::nullopt;
  StepShape shape;
  shape.layers = c.model.layers;
  shape.bias = c.model.bias;
  const std::size_t train = task.train().size();
  shape.samples = c.run.batch_size == 0 ? train : std::min(c.run.batch_size, train);
  const double rows = static_cast<double>(shape.samples * shape.layers.back());
  const optim::OptimizerOptions& o = phase->optimizer;
  shape.gauss_newton = o.method == optim::Method::gn;
  // LM in the parameter space (p × p system) is not what the model describes.
  if (!shape.gauss_newton && (o.solve_space == optim::SolveSpace::parameter ||
                              (o.solve_space == optim::SolveSpace::automatic && mlp_params(shape.layers, shape.bias) < rows)))
    return std::nullopt;
  const model::ModelEntry& model = model::find_model(c.model.kind);
  shape.structured = c.problem.gram != problem::GramMode::explicit_rows && model.capabilities(c.model).structured_gram &&
                     task.residual_kind() == task::ResidualKind::output_minus_target;
  shape.block = c.problem.gram_block;
  shape.distributed_min_rows = c.problem.gram_distributed_min_rows;
  return shape;
}

}  // namespace

std::optional<StepShape> second_order_step_shape(const io::RunConfig& c) {
  if (c.model.kind != model::ModelKind::mlp) return std::nullopt;
  return step_shape_for(c, *task::make_task(c.task, c.run.seed));
}

Plan make_plan(const io::RunConfig& c, int ranks) {
  const optim::OptimizerOptions& first = c.phases.front().optimizer;  // the first phase's system
  Plan plan;
  plan.ranks = ranks;
  const auto task = task::make_task(c.task, c.run.seed);
  const auto& layers = c.model.layers;
  plan.train_samples = task->train().size();
  plan.test_samples = task->test() ? task->test()->size() : 0;
  plan.batch = c.run.batch_size == 0 ? plan.train_samples : std::min(c.run.batch_size, plan.train_samples);
  plan.outputs = layers.back();
  const model::ModelEntry& model = model::find_model(c.model.kind);
  plan.params = model.parameter_count(c.model);
  if (!model.capabilities(c.model).explicit_jacobian) {
    plan.outputs = c.model.transformer.vocab;
    plan.residual_rows = plan.batch * plan.outputs;
    plan.second_order = first.method == optim::Method::ggn;  // the compatibility check allows only CG there
    return matrix_free_plan(c, ranks, plan);
  }
  plan.residual_rows = plan.batch * plan.outputs;
  plan.second_order = first.method == optim::Method::lm || first.method == optim::Method::gn ||
                      first.method == optim::Method::ggn;
  // The model's f − y may have the structure; a PDE residual does not (problem/residual_operator.hpp).
  plan.structured = c.problem.gram != problem::GramMode::explicit_rows && model.capabilities(c.model).structured_gram &&
                    task->residual_kind() == task::ResidualKind::output_minus_target;
  plan.distributed_gram =
      ranks > 1 && static_cast<long>(plan.residual_rows) >= c.problem.gram_distributed_min_rows;

  const double p = static_cast<double>(plan.params);
  const double n = static_cast<double>(plan.batch);
  const double N = static_cast<double>(plan.residual_rows);
  const double P = static_cast<double>(ranks);
  double widths = 0.0, inputs = 0.0;  // Σ d_{l+1}, Σ d_l
  for (std::size_t l = 0; l + 1 < layers.size(); ++l) {
    widths += static_cast<double>(layers[l + 1]);
    inputs += static_cast<double>(layers[l]);
  }
  const double samples = static_cast<double>(plan.train_samples + plan.test_samples);
  double bytes = kOverheadBytes;
  bytes += kDouble * static_cast<double>(layers.front() + layers.back()) * samples;  // data (every rank)
  bytes += kDouble * 6.0 * p;                                                           // θ, θ₀, δ, trial, moments
  bytes += kDouble * 2.0 * widths * (n + samples) / P;                                  // z and a caches
  double flops_gram = 0.0, seconds_solve = 0.0;
  if (plan.second_order) {
    const double k_local = N * N / (plan.distributed_gram ? P : 1.0);
    // LM and GGN factor the damped K (Cholesky); GN decomposes it (eigenvectors: a third copy).
    const bool cholesky = first.method == optim::Method::lm || first.method == optim::Method::ggn;
    const double copies = cholesky ? 2.0 : 3.0;  // K + factor (+ eigenvectors)
    bytes += kDouble * copies * k_local;
    if (plan.structured) {
      double factors = 0.0;
      for (std::size_t l = 0; l + 1 < layers.size(); ++l)
        factors += static_cast<double>(layers[l]) * n + static_cast<double>(layers[l + 1]) * N;
      bytes += kDouble * (n * n + 3.0 * factors);  // sample Gram, gathered + local + packed factors
    } else {
      bytes += kDouble * p * N * (ranks > 1 ? 1.0 + 1.0 / P : 1.0);  // gathered Jᵀ (+ own rows)
    }
    flops_gram = gram_flops(plan.structured, N, n, widths, inputs, p);
    const double n3 = N * N * N;
    seconds_solve = cholesky ? n3 / 3.0 / kCholeskyRate / (plan.distributed_gram ? P : 1.0) : eigen_seconds(N);
  }
  plan.bytes_per_rank = bytes;
  const double forward_backward = 6.0 * p * n / P / kVectorRate;
  plan.seconds_per_step = forward_backward + flops_gram / kGemmRate / P + seconds_solve;
  plan.step_shape = step_shape_for(c, *task);
  if (plan.step_shape) {
    plan.step_cost = model_step(*plan.step_shape, ranks, reference_machine());
    const bool first_is_it = first.method == optim::Method::lm || first.method == optim::Method::gn;
    if (first_is_it) plan.seconds_per_step = plan.step_cost.seconds();
  }
  plan.seconds_total = plan.seconds_per_step * static_cast<double>(c.run.steps) +
                       recorded_steps(c) * 2.0 * p * samples / P / kVectorRate;
  add_kernel_diagnostic(c, widths, inputs, plan);
  plan.conditional_phases = std::any_of(c.phases.begin(), c.phases.end(), [](const run::Phase& phase) {
    return phase.until.any();
  });
  return plan;
}

std::ostream& operator<<(std::ostream& os, const Plan& plan) {
  os << "samples: " << plan.train_samples << " train, " << plan.test_samples << " test; batch " << plan.batch
     << ", outputs C = " << plan.outputs << ", residual rows N = " << plan.residual_rows << "\n";
  os << "parameters p = " << plan.params << "\n";
  if (plan.cg)
    os << "GGN by conjugate gradients, matrix-free: no Gram system; one GGN product (jvp + vjp) ≈ "
       << duration(plan.seconds_per_product) << " per CG iteration; the step time below assumes every step takes the "
       << "iteration limit\n";
  else if (plan.second_order)
    os << "Gram system: N × N = " << plan.residual_rows << " × " << plan.residual_rows << ", "
       << (plan.structured ? "structured (layer factors, no J)" : "explicit (Jacobian rows gathered)") << ", "
       << (plan.distributed_gram ? "distributed over the ranks (ScaLAPACK)" : "whole on each rank (LAPACK)") << "\n";
  else
    os << "first-order method: no Gram system\n";
  os << "ranks " << plan.ranks << ": memory per rank ≈ " << gib(plan.bytes_per_rank) << " (all ranks "
     << gib(plan.bytes_per_rank * plan.ranks) << ")\n";
  if (plan.kernel_records > 0)
    os << "kernel diagnostic: K on the probe, " << plan.kernel_rows << " × " << plan.kernel_rows << ", about "
       << plan.kernel_records << " recordings of ≈ " << duration(plan.seconds_per_kernel_record) << " each ("
       << duration(plan.kernel_records * plan.seconds_per_kernel_record) << " of the run's time below)\n";
  if (plan.step_shape) print_step_cost(os, *plan.step_shape, plan.step_cost, reference_machine());
  os << "time ≈ " << duration(plan.seconds_per_step) << " per step, " << duration(plan.seconds_total)
     << " per run (rough: rates of docs/performance.md)\n";
  if (plan.conditional_phases)
    os << "a [phase.until] test may end a phase early: the time is for every phase's full steps (an upper bound)\n";
  return os;
}

double available_memory_bytes() {
  double available = 0.0;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0.0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") available = kib * 1024.0;
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::string limit;
  if (cgroup >> limit && limit != "max") {
    const double bytes = std::atof(limit.c_str());
    if (bytes > 0 && (available == 0.0 || bytes < available)) available = bytes;
  }
  return available;
}

}  // namespace pgdx::app
