#pragma once
// The least-squares problem of a model on a batch of a data set, sharded across ranks by
// samples: each rank evaluates its contiguous share; residuals and Jacobian rows are gathered
// in batch order, so every rank sees identical values.
// Jᵀz: when gram() has gathered Jᵀ at the current θ and batch (every LM/GN step), it is formed
// from that matrix, which makes second-order steps bitwise independent of the rank count —
// adaptive damping accepts or rejects on ρ > 0, a discontinuous decision that would otherwise
// amplify round-off of a rank-dependent reduction. Otherwise (first-order methods) it is a vjp
// on each rank's samples, summed over ranks (round-off-level rank dependence).
#include <vector>

#include "pgdx/dist/comm.hpp"
#include "pgdx/loss/mse.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/optim/least_squares_problem.hpp"
#include "pgdx/task/dataset.hpp"

namespace pgdx::run {

class SupervisedProblem final : public optim::LeastSquaresProblem {
 public:
  SupervisedProblem(model::Model& model, dist::Comm comm, loss::Reduction reduction);

  // Batch = columns `indices` of `data`, in that order (indices identical on every rank).
  void set_batch(const task::Dataset& data, const std::vector<std::size_t>& indices);
  void set_all(const task::Dataset& data);

  std::size_t num_params() const override { return model_.num_params(); }
  const std::vector<double>& params() const override { return model_.params(); }
  void set_params(const std::vector<double>& theta) override { model_.set_params(theta); }
  std::size_t num_samples() const override { return batch_size_; }
  double loss_scale() const override { return loss::loss_scale(reduction_, batch_size_); }

  void residual(std::vector<double>& e) override;
  void gram(linalg::Matrix& k) override;
  void jt_times(const std::vector<double>& z, std::vector<double>& out) override;

  // L(θ) on the batch with the configured reduction.
  double loss();

 private:
  model::Model& model_;
  dist::Comm comm_;
  loss::Reduction reduction_;
  std::size_t batch_size_ = 0;
  dist::IndexRange mine_;
  linalg::Matrix x_local_, y_local_, f_local_, cotangent_, jt_local_, jt_full_;
  std::vector<double> local_, gathered_;
  std::vector<double> jt_full_params_;  // θ at which jt_full_ was gathered
  bool jt_full_valid_ = false;          // cleared when the batch changes
};

}  // namespace pgdx::run
