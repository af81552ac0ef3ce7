#include "pgdx/run/supervised_problem.hpp"

#include <numeric>
#include <stdexcept>

#include "pgdx/linalg/blas.hpp"

namespace pgdx::run {

SupervisedProblem::SupervisedProblem(model::Model& model, dist::Comm comm, loss::Reduction reduction)
    : model_(model), comm_(comm), reduction_(reduction) {}

void SupervisedProblem::set_batch(const task::Dataset& data, const std::vector<std::size_t>& indices) {
  batch_size_ = indices.size();
  mine_ = dist::shard(batch_size_, comm_.rank(), comm_.size());
  const std::size_t d = data.x.rows();
  const std::size_t c = data.y.rows();
  x_local_.resize(d, mine_.size());
  y_local_.resize(c, mine_.size());
  for (std::size_t j = 0; j < mine_.size(); ++j) {
    const std::size_t sample = indices[mine_.begin + j];
    if (sample >= data.size()) throw std::out_of_range("SupervisedProblem: sample index out of range");
    std::copy(data.x.col(sample), data.x.col(sample) + d, x_local_.col(j));
    std::copy(data.y.col(sample), data.y.col(sample) + c, y_local_.col(j));
  }
  model_.forget_cached_forward();
  jt_full_valid_ = false;
}

void SupervisedProblem::set_all(const task::Dataset& data) {
  std::vector<std::size_t> all(data.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  set_batch(data, all);
}

void SupervisedProblem::residual(std::vector<double>& e) {
  model_.forward(x_local_, f_local_);
  local_.resize(f_local_.size());
  for (std::size_t i = 0; i < local_.size(); ++i) local_[i] = f_local_.data()[i] - y_local_.data()[i];
  comm_.allgatherv(local_, e);
}

void SupervisedProblem::gram(linalg::Matrix& k) {
  model_.jacobian_transposed(x_local_, jt_local_);
  const std::size_t p = model_.num_params();
  comm_.allgatherv(jt_local_.storage(), gathered_);
  // Columns are contiguous, so concatenating the ranks' blocks in rank order is Jᵀ in batch order.
  jt_full_.resize(p, gathered_.size() / std::max<std::size_t>(p, 1));
  jt_full_.storage().swap(gathered_);
  linalg::gram_of_columns(jt_full_, k);
  jt_full_params_ = model_.params();
  jt_full_valid_ = true;
}

void SupervisedProblem::jt_times(const std::vector<double>& z, std::vector<double>& out) {
  const std::size_t c = y_local_.rows();
  if (z.size() != batch_size_ * c) throw std::invalid_argument("SupervisedProblem::jt_times: z has the wrong length");
  if (jt_full_valid_ && jt_full_params_ == model_.params()) {
    out.resize(jt_full_.rows());
    linalg::gemv(linalg::Op::none, 1.0, jt_full_, z.data(), 0.0, out.data());
    return;
  }
  cotangent_.resize(c, mine_.size());
  std::copy(z.begin() + static_cast<long>(mine_.begin * c), z.begin() + static_cast<long>(mine_.end * c),
            cotangent_.data());
  model_.vjp(x_local_, cotangent_, out);
  comm_.allreduce_sum(out.data(), out.size());
}

double SupervisedProblem::loss() {
  residual(gathered_);
  const double norm = linalg::norm2(gathered_.size(), gathered_.data());
  return loss::mse_value(reduction_, norm * norm, batch_size_);
}

}  // namespace pgdx::run
