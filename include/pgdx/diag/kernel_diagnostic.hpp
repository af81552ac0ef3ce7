#pragma once
// The neural tangent kernel on a probe set, every `every` steps (issue 15; docs/diagnostics.md):
//   /ntk   K = J Jᵀ of the residual on the probe samples, its eigenvalues (descending), the
//          residual's projection ê = Uᵀe and its energy per eigen-band, and between two recordings
//          the measured per-mode contraction against the lemma's prediction for the optimizer
//          that ran (optim/mode_rates.hpp);
//   /lazy  distance from θ₀, kernel drift ‖K − K₀‖_F/‖K₀‖_F, kernel–target alignment and the
//          linearisation gap ‖e₀ + J₀(θ − θ₀) − e‖/‖e − e₀‖.
// K is assembled by the problem (problem::ResidualProblem::gram: structured or explicit, the ranks
// share the work) and held whole on every rank, and every rank decomposes it with LAPACK: the
// numbers are the same on every rank and, to round-off, for any rank count.
#include <cstdint>
#include <vector>

#include "pgdx/diag/diagnostic.hpp"
#include "pgdx/diag/kernel_modes.hpp"
#include "pgdx/loss/mse.hpp"
#include "pgdx/optim/optimizer_options.hpp"
#include "pgdx/parallel/comm.hpp"
#include "pgdx/parallel/dist_matrix.hpp"
#include "pgdx/problem/problem_options.hpp"
#include "pgdx/problem/residual_operator.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "pgdx/task/dataset.hpp"

namespace pgdx::diag {

struct KernelDiagnosticOptions {
  long every = 10;                  // run.ntk_every: record at the record steps that reach a multiple of it
  std::size_t probe_samples = 100;  // run.ntk_probe
  std::uint64_t seed = 0;           // run.seed: draws the probe subset
  long last_step = 0;               // always recorded
  loss::Reduction reduction = loss::Reduction::mean;  // c of SGD's step (loss::loss_scale)
  // The lemmas describe a full-batch step on the least-squares loss, seen on the set it is taken
  // on: predictions are NaN unless all three hold (the probe being the whole training set).
  bool full_batch = true;
  bool squared_loss = true;
  problem::ProblemOptions problem;  // the run's Gram settings; K is held whole regardless
  std::vector<optim::OptimizerOptions> phase_optimizers;  // the run's phases' (Evaluation::phase indexes it)
};

// The probe: every training sample when there are at most `probe` of them, else `probe` distinct
// samples drawn from Rng(seed, Stream::kernel_probe), in increasing order.
std::vector<std::size_t> kernel_probe_samples(std::size_t train_size, std::size_t probe, std::uint64_t seed);

class KernelDiagnostic final : public Diagnostic {
 public:
  // J₀ up to this size (32 MiB) is kept from the first recording, so the linearisation gap is one
  // product instead of a jvp at θ₀, whose two forward passes cost more than a small run's step.
  static constexpr std::size_t kReferenceJacobianMaxValues = std::size_t{1} << 22;

  // `residual` is the run's residual operator (its model is the one trained); `train` the training set.
  KernelDiagnostic(problem::ResidualOperator& residual, const task::Dataset& train, parallel::Comm comm,
                   const KernelDiagnosticOptions& options);
  void measure(const Evaluation& state, Record& record) override;
  void axes(std::vector<Axis>& out) const override;
  // The last recording's step, eigen-decomposition and projection: what the next rate row needs.
  void save(DiagnosticState& out) const override;
  void restore(const DiagnosticState& in) override;

 private:
  bool due(const Evaluation& state) const;
  // K at the current θ, both triangles, into k_; the residual into e.
  void measure_kernel(std::vector<double>& e);
  // K₀ and e₀ at θ₀: from this recording at step 0, recomputed at θ₀ after a resume.
  void measure_reference(const Evaluation& state);
  // |factor| per mode of the previous recording's eigenvalues for the step interval ending now.
  std::vector<double> predicted_rates(const Evaluation& state, const Record& record);
  // J₀ᵀ (p × M) into jt0_ when it has at most kReferenceJacobianMaxValues entries.
  void keep_reference_jacobian();
  // ‖e₀ + J₀(θ − θ₀) − e‖ / ‖e − e₀‖ (J₀ kept, else a jvp at θ₀); NaN at θ = θ₀.
  double linearization_gap(const Evaluation& state);
  // NaN in every row and value of a recording (non-finite θ: the record of a diverged run).
  void record_nothing(std::size_t modes, Record& record) const;

  KernelDiagnosticOptions options_;
  std::vector<std::size_t> probe_;
  bool predicts_ = false;
  problem::ResidualProblem problem_;
  std::vector<double> targets_;  // y on the probe, residual order
  parallel::DistMatrix k_whole_;
  linalg::Matrix k_, k0_, jt0_;
  std::vector<double> e_, e0_, theta_now_, step_, projection_, previous_projection_, carried_;
  KernelEigen previous_;
  bool have_reference_ = false;
  long previous_step_ = -1;  // the last recording of this process (−1: none yet)
};

}  // namespace pgdx::diag
