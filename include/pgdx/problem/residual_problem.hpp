#pragma once
// The least-squares problem of a residual operator (problem/residual_operator.hpp: f − y, or a PDE
// residual) on a batch of a data set, sharded across ranks by samples: each rank evaluates its
// contiguous share; residuals and Jacobian rows are gathered in batch order, so every rank sees
// identical values.
// K (gram): the structured path gathers each layer's inputs and back-propagated signals for the
// batch (model::GramFactors, O(N·Σd) numbers) and every rank fills its block-cyclic blocks of K
// from them; the explicit path gathers Jacobian rows instead (O(N·p)). Jᵀz is a vjp on each
// rank's samples, summed over ranks.
#include <functional>
#include <memory>
#include <vector>

#include "pgdx/loss/mse.hpp"
#include "pgdx/loss/output_loss.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/parallel/comm.hpp"
#include "pgdx/problem/least_squares_problem.hpp"
#include "pgdx/problem/problem_options.hpp"
#include "pgdx/problem/residual_operator.hpp"
#include "pgdx/task/dataset.hpp"

namespace pgdx::problem {

class ResidualProblem final : public LeastSquaresProblem {
 public:
  ResidualProblem(ResidualOperator& residual, parallel::Comm comm, loss::Reduction reduction,
                  const ProblemOptions& options = {});
  // e = f − y for `model` (the supervised case).
  ResidualProblem(model::Model& model, parallel::Comm comm, loss::Reduction reduction,
                  const ProblemOptions& options = {});

  // The loss of the outputs (default squared, L = c·½‖e‖²); cross-entropy needs e = f − y.
  void set_loss_kind(loss::LossKind kind) { output_loss_ = loss::OutputLoss(kind, reduction_); }
  loss::LossKind loss_kind() const { return output_loss_.kind(); }

  // Batch = columns `indices` of `data`, in that order (indices identical on every rank).
  void set_batch(const task::Dataset& data, const std::vector<std::size_t>& indices);
  void set_all(const task::Dataset& data);

  std::size_t num_params() const override { return model_.num_params(); }
  const std::vector<double>& params() const override { return model_.params(); }
  void set_params(const std::vector<double>& theta) override {
    model_.set_params(theta);
    ++state_;
  }
  // The shared model's θ was set through another problem: what this one gathered is stale. Unlike
  // set_params it keeps the model's forward caches, which belong to the new θ.
  void params_changed_elsewhere() { ++state_; }
  std::size_t rows_per_sample() const { return residual_.rows_per_sample(); }
  std::size_t num_samples() const override { return batch_size_; }
  double loss_scale() const override {
    return loss::loss_scale(reduction_, batch_size_, residual_.rows_per_sample());
  }

  void residual(std::vector<double>& e) override;
  void gram(parallel::DistMatrix& k) override;
  void jt_times(const std::vector<double>& z, std::vector<double>& out) override;
  // JᵀJ from the whole batch, computed alike on every rank (the batch inputs are gathered).
  bool parameter_gram(parallel::DistMatrix& g) override;
  std::size_t num_rows() const override { return batch_size_ * residual_.rows_per_sample(); }
  void j_times(const std::vector<double>& v, std::vector<double>& out) override;
  void gradient(std::vector<double>& e, std::vector<double>& g) override;
  void curvature_gram(parallel::DistMatrix& k) override;
  void curvature_root_times(const std::vector<double>& w, std::vector<double>& out) override;
  void curvature_times(const std::vector<double>& w, std::vector<double>& out) override;

  // L(θ) on the batch with the configured loss and reduction.
  double loss() override;
  // L of a residual of this batch's shape (e.g. one just computed by residual()).
  double loss_of(const std::vector<double>& e);
  // Whether gram() takes the structured path (decided at the first call).
  bool structured() const { return structured_; }

 private:
  Samples local_samples() const { return {x_local_, y_local_, coefficients_local_}; }
  Samples all_samples() const { return {x_full_, y_full_, coefficients_full_}; }
  void ensure_grid();
  // Shapes k for the batch's N × N system (whole or block-cyclic).
  void shape_gram(parallel::DistMatrix& k);
  // The batch's Jacobian rows or structured factors, gathered on every rank (factors_/jt_full_).
  void prepare_jacobian();
  // S = H^{1/2} per sample of the batch at the current θ (roots_).
  void ensure_hessian_roots();
  // e of the batch at the current θ (residual_work_), computed once per θ/batch.
  const std::vector<double>& batch_residual();
  const std::vector<double>& batch_targets();

  std::unique_ptr<ResidualOperator> owned_;
  ResidualOperator& residual_;
  model::Model& model_;
  parallel::Comm comm_;
  loss::Reduction reduction_;
  std::size_t batch_size_ = 0;
  parallel::IndexRange mine_;
  linalg::Matrix x_local_, y_local_, coefficients_local_, e_local_, cotangent_, jt_local_, jt_full_;
  std::vector<double> gathered_;
  ProblemOptions options_;
  bool structured_ = false;
  std::shared_ptr<const parallel::BlacsGrid> grid_;  // created at the first gram() (a collective)
  bool grid_ready_ = false;
  model::GramFactors factors_local_, factors_;
  // θ/batch generation: gram() remembers it, so jt_times() knows whether the gathered J (or
  // factors) still describe the current Jacobian.
  std::uint64_t state_ = 0, gram_state_ = ~std::uint64_t{0}, parameter_state_ = ~std::uint64_t{0};
  linalg::Matrix x_full_, y_full_, coefficients_full_, cotangent_full_, g_whole_;
  loss::OutputLoss output_loss_{loss::LossKind::squared, reduction_};
  std::vector<double> roots_, residual_work_, gradient_work_, jv_gathered_;
  std::uint64_t roots_state_ = ~std::uint64_t{0}, residual_state_ = ~std::uint64_t{0};
  model::GramFactors factors_whitened_;
  linalg::Matrix jt_whitened_, jv_local_;
  // optimizer.sample_block > 0: this rank's samples in fixed blocks (their own matrices), the
  // per-block partial sums of a vjp, and work space.
  struct SampleBlock {
    linalg::Matrix x, y, coefficients;
  };
  std::vector<SampleBlock> blocks_;
  // Calls visit(first local column, the block's samples) for each block in order.
  void for_each_block(const std::function<void(std::size_t, const Samples&)>& visit);
  std::vector<std::vector<double>> block_grads_;  // one partial Jᵀz per local sample block
  linalg::Matrix block_out_;
};

}  // namespace pgdx::problem
