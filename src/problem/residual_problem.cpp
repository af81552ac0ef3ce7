#include "pgdx/problem/residual_problem.hpp"

#include <numeric>
#include <stdexcept>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/problem/gram_assembly.hpp"
#include "pgdx/problem/output_curvature.hpp"
#include "pgdx/problem/output_minus_target.hpp"

namespace pgdx::problem {

ResidualProblem::ResidualProblem(ResidualOperator& residual, parallel::Comm comm, loss::Reduction reduction,
                                 const ProblemOptions& options)
    : residual_(residual), model_(residual.model()), comm_(comm), reduction_(reduction), options_(options) {}

ResidualProblem::ResidualProblem(model::Model& model, parallel::Comm comm, loss::Reduction reduction,
                                 const ProblemOptions& options)
    : owned_(std::make_unique<OutputMinusTarget>(model)),
      residual_(*owned_),
      model_(model),
      comm_(comm),
      reduction_(reduction),
      options_(options) {}

void ResidualProblem::set_batch(const task::Dataset& data, const std::vector<std::size_t>& indices) {
  batch_size_ = indices.size();
  if (options_.sample_block > 0) {  // whole blocks per rank: the blocks' sums do not depend on the split
    const std::size_t block = options_.sample_block, blocks = (batch_size_ + block - 1) / block;
    const parallel::IndexRange mine = parallel::shard(blocks, comm_.rank(), comm_.size());
    mine_ = {std::min(batch_size_, mine.begin * block), std::min(batch_size_, mine.end * block)};
  } else {
    mine_ = parallel::shard(batch_size_, comm_.rank(), comm_.size());
  }
  const std::size_t d = data.x.rows();
  const std::size_t c = data.y.rows();
  const std::size_t k = data.coefficients.rows();
  if (k > 0 && data.coefficients.cols() != data.size())
    throw std::invalid_argument("ResidualProblem: coefficients and inputs differ in sample count");
  x_local_.resize(d, mine_.size());
  y_local_.resize(c, mine_.size());
  coefficients_local_.resize(k, mine_.size());
  for (std::size_t j = 0; j < mine_.size(); ++j) {
    const std::size_t sample = indices[mine_.begin + j];
    if (sample >= data.size()) throw std::out_of_range("ResidualProblem: sample index out of range");
    std::copy(data.x.col(sample), data.x.col(sample) + d, x_local_.col(j));
    std::copy(data.y.col(sample), data.y.col(sample) + c, y_local_.col(j));
    if (k > 0) std::copy(data.coefficients.col(sample), data.coefficients.col(sample) + k, coefficients_local_.col(j));
  }
  // Fixed sample blocks: each block's columns in their own matrices, at addresses that stay put
  // until the next batch, so a model caching per input finds every block's forward pass.
  blocks_.clear();
  if (options_.sample_block > 0)
    for (std::size_t begin = 0; begin < mine_.size(); begin += options_.sample_block) {
      const std::size_t end = std::min(mine_.size(), begin + options_.sample_block);
      SampleBlock b;
      x_local_.copy_columns(begin, end, b.x);
      y_local_.copy_columns(begin, end, b.y);
      if (k > 0) coefficients_local_.copy_columns(begin, end, b.coefficients);
      blocks_.push_back(std::move(b));
    }
  residual_.forget_cached_forward();
  ++state_;
}

void ResidualProblem::for_each_block(const std::function<void(std::size_t, const Samples&)>& visit) {
  std::size_t first = 0;
  for (const SampleBlock& b : blocks_) {
    visit(first, Samples{b.x, b.y, b.coefficients});
    first += b.x.cols();
  }
}

void ResidualProblem::set_all(const task::Dataset& data) {
  std::vector<std::size_t> all(data.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  set_batch(data, all);
}

void ResidualProblem::residual(std::vector<double>& e) {
  if (options_.sample_block > 0) {
    e_local_.resize(residual_.rows_per_sample(), mine_.size());
    for_each_block([&](std::size_t first, const Samples& s) {
      residual_.residual(s, block_out_);
      std::copy(block_out_.data(), block_out_.data() + block_out_.size(), e_local_.col(first));
    });
  } else {
    residual_.residual(local_samples(), e_local_);
  }
  comm_.allgatherv(e_local_.storage(), e);
}

namespace {

// Gathers every rank's columns of `local` (d × n_local) into `all` (d × n), in rank order, straight
// into all's storage (its allocation is reused from step to step: no second buffer).
void gather_columns(const parallel::Comm& comm, const linalg::Matrix& local, linalg::Matrix& all) {
  comm.allgatherv(local.storage(), all.storage());
  all.reshape(local.rows(), local.rows() ? all.storage().size() / local.rows() : 0);
}

}  // namespace

void ResidualProblem::ensure_grid() {
  if (!grid_ready_) {
    grid_ = parallel::make_grid(comm_);
    grid_ready_ = true;
  }
}

bool ResidualProblem::parameter_gram(parallel::DistMatrix& g) {
  ensure_grid();
  gather_columns(comm_, x_local_, x_full_);
  gather_columns(comm_, y_local_, y_full_);
  gather_columns(comm_, coefficients_local_, coefficients_full_);
  if (!residual_.parameter_gram(all_samples(), g_whole_)) return false;
  const int p = static_cast<int>(model_.num_params());
  // Every rank forms the whole JᵀJ (one syrk, cheap next to the factorisation) and keeps its
  // blocks; large systems are factored block-cyclic like K (docs/performance.md, "LM in the
  // parameter space": Fig. 5 on 2 ranks, whole on every rank vs block-cyclic on the 1 × 2 grid).
  const auto& grid = p >= options_.gram_distributed_min_rows ? grid_ : nullptr;
  if (g.rows() != p || g.grid_handle() != grid || g.block() != options_.gram_block) g = parallel::DistMatrix(grid, p, p, options_.gram_block);
  for (int jl = 0; jl < g.local_cols(); ++jl) {
    const auto col = static_cast<std::size_t>(g.global_col(jl));
    for (int il = 0; il < g.local_rows(); ++il) g.local(il, jl) = g_whole_(static_cast<std::size_t>(g.global_row(il)), col);
  }
  parameter_state_ = state_;
  return true;
}

void ResidualProblem::shape_gram(parallel::DistMatrix& k) {
  ensure_grid();
  const int n_rows = static_cast<int>(batch_size_ * residual_.rows_per_sample());
  // Small systems: K whole on every rank (each computes the same values), LAPACK solves.
  const auto& grid = n_rows >= options_.gram_distributed_min_rows ? grid_ : nullptr;
  if (k.rows() != n_rows || k.grid_handle() != grid || k.block() != options_.gram_block)
    k = parallel::DistMatrix(grid, n_rows, n_rows, options_.gram_block);
}

void ResidualProblem::prepare_jacobian() {
  if (gram_state_ == state_) return;
  // Every rank asks the model the same question, so the path is the same everywhere.
  structured_ = options_.gram != GramMode::explicit_rows && residual_.gram_factors(local_samples(), factors_local_);
  // The config's compatibility check refuses this before a run starts; a library caller learns it here.
  if (options_.gram == GramMode::structured && !structured_)
    throw std::logic_error("ResidualProblem: gram = structured, but this model has no structured Gram matrix");
  if (structured_) {
    factors_.inputs.resize(factors_local_.inputs.size());
    factors_.signals.resize(factors_local_.signals.size());
    factors_.bias_term = factors_local_.bias_term;
    for (std::size_t l = 0; l < factors_local_.inputs.size(); ++l) {
      gather_columns(comm_, factors_local_.inputs[l], factors_.inputs[l]);
      gather_columns(comm_, factors_local_.signals[l], factors_.signals[l]);
    }
  } else if (comm_.size() == 1) {
    // J is N·p numbers: one rank writes it straight into the gathered matrix (reusing its
    // storage); several hold their own rows only until they are gathered.
    residual_.jacobian_transposed(local_samples(), jt_full_);
  } else {
    residual_.jacobian_transposed(local_samples(), jt_local_);
    gather_columns(comm_, jt_local_, jt_full_);
    jt_local_ = linalg::Matrix();
  }
  gram_state_ = state_;
}

void ResidualProblem::gram(parallel::DistMatrix& k) {
  shape_gram(k);
  prepare_jacobian();
  if (structured_)
    assemble_structured_gram(factors_, residual_.rows_per_sample(), k, comm_);
  else
    assemble_explicit_gram(jt_full_, k, comm_);
}

void ResidualProblem::jt_times(const std::vector<double>& z, std::vector<double>& out) {
  const std::size_t c = residual_.rows_per_sample();
  if (z.size() != batch_size_ * c) throw std::invalid_argument("ResidualProblem::jt_times: z has the wrong length");
  // After gram(), every rank holds the whole batch's J (or its factors): Jᵀz from it is one sum in
  // one order, the same for any rank count. A sum of per-rank vjps would be rounded differently,
  // and ill-conditioned LM/GN steps amplify that difference (docs/architecture.md).
  if (parameter_state_ == state_) {  // the whole batch is here: one sum, the same on every rank
    cotangent_full_.resize(c, batch_size_);
    std::copy(z.begin(), z.end(), cotangent_full_.data());
    residual_.vjp(all_samples(), cotangent_full_, out);
    return;
  }
  if (gram_state_ == state_) {
    if (structured_) {
      model::gradient_from_factors(factors_, c, z.data(), out);
    } else {
      out.resize(jt_full_.rows());
      linalg::gemv(linalg::Op::none, 1.0, jt_full_, z.data(), 0.0, out.data());
    }
    return;
  }
  cotangent_.resize(c, mine_.size());
  std::copy(z.begin() + static_cast<long>(mine_.begin * c), z.begin() + static_cast<long>(mine_.end * c),
            cotangent_.data());
  if (options_.sample_block > 0) {  // one partial sum per block, added in block order
    block_grads_.resize(blocks_.size());
    std::vector<const double*> partials;
    for_each_block([&](std::size_t first, const Samples& s) {
      cotangent_.copy_columns(first, first + s.x.cols(), block_out_);
      std::vector<double>& partial = block_grads_[partials.size()];
      residual_.vjp(s, block_out_, partial);
      partials.push_back(partial.data());
    });
    comm_.ordered_block_sum(partials, model_.num_params(), out);
    return;
  }
  residual_.vjp(local_samples(), cotangent_, out);
  comm_.allreduce_sum(out.data(), out.size());
}

double ResidualProblem::loss() {
  residual(gathered_);
  return loss_of(gathered_);
}

double ResidualProblem::loss_of(const std::vector<double>& e) {
  if (output_loss_.kind() == loss::LossKind::squared) {
    const double norm = linalg::norm2(e.size(), e.data());
    return loss::mse_value(reduction_, norm * norm, batch_size_, residual_.rows_per_sample());
  }
  return output_loss_.value(e, batch_targets(), residual_.rows_per_sample());
}

const std::vector<double>& ResidualProblem::batch_targets() {
  gather_columns(comm_, y_local_, y_full_);
  return y_full_.storage();
}

void ResidualProblem::j_times(const std::vector<double>& v, std::vector<double>& out) {
  if (options_.sample_block > 0) {
    jv_local_.resize(residual_.rows_per_sample(), mine_.size());
    for_each_block([&](std::size_t first, const Samples& s) {
      residual_.jvp(s, v, block_out_);
      std::copy(block_out_.data(), block_out_.data() + block_out_.size(), jv_local_.col(first));
    });
  } else {
    residual_.jvp(local_samples(), v, jv_local_);
  }
  comm_.allgatherv(jv_local_.storage(), out);
}

void ResidualProblem::gradient(std::vector<double>& e, std::vector<double>& g) {
  if (output_loss_.kind() == loss::LossKind::squared) return LeastSquaresProblem::gradient(e, g);
  residual(e);
  output_loss_.gradient(e, batch_targets(), residual_.rows_per_sample(), gradient_work_);
  jt_times(gradient_work_, g);
}

const std::vector<double>& ResidualProblem::batch_residual() {
  if (residual_state_ != state_) {
    residual(residual_work_);
    residual_state_ = state_;
  }
  return residual_work_;
}

void ResidualProblem::ensure_hessian_roots() {
  if (roots_state_ == state_) return;
  hessian_roots(output_loss_, batch_residual(), batch_targets(), residual_.rows_per_sample(), roots_);
  roots_state_ = state_;
}

void ResidualProblem::curvature_times(const std::vector<double>& w, std::vector<double>& out) {
  if (output_loss_.kind() == loss::LossKind::squared) return LeastSquaresProblem::curvature_times(w, out);
  output_loss_.hessian_times(batch_residual(), batch_targets(), residual_.rows_per_sample(), w, out);
}

namespace {

// Columns r = i·C + c of m (d × N) replaced by Σ_c' m[:, i·C + c'] S_i[c', c]: the rows of S J.
void whiten_columns(const linalg::Matrix& m, const std::vector<double>& roots, std::size_t outputs,
                    linalg::Matrix& out) {
  out.resize(m.rows(), m.cols());
  const std::size_t n = m.cols() / outputs;
  const int d = static_cast<int>(m.rows()), c = static_cast<int>(outputs);
  for (std::size_t i = 0; i < n; ++i)
    linalg::gemm(linalg::Op::none, linalg::Op::none, d, c, c, 1.0, m.col(i * outputs), d,
                 roots.data() + i * outputs * outputs, c, 0.0, out.col(i * outputs), d);
}

}  // namespace

void ResidualProblem::curvature_gram(parallel::DistMatrix& k) {
  if (output_loss_.kind() == loss::LossKind::squared) return LeastSquaresProblem::curvature_gram(k);
  shape_gram(k);
  prepare_jacobian();
  ensure_hessian_roots();
  const std::size_t c = residual_.rows_per_sample();
  if (structured_) {
    factors_whitened_.inputs = factors_.inputs;
    factors_whitened_.bias_term = factors_.bias_term;
    factors_whitened_.signals.resize(factors_.signals.size());
    for (std::size_t l = 0; l < factors_.signals.size(); ++l)
      whiten_columns(factors_.signals[l], roots_, c, factors_whitened_.signals[l]);
    assemble_structured_gram(factors_whitened_, c, k, comm_);
  } else {
    whiten_columns(jt_full_, roots_, c, jt_whitened_);
    assemble_explicit_gram(jt_whitened_, k, comm_);
  }
}

void ResidualProblem::curvature_root_times(const std::vector<double>& w, std::vector<double>& out) {
  if (output_loss_.kind() == loss::LossKind::squared) return LeastSquaresProblem::curvature_root_times(w, out);
  ensure_hessian_roots();
  const std::size_t c = residual_.rows_per_sample();
  out.assign(w.size(), 0.0);
  for (std::size_t i = 0; i < w.size() / c; ++i)
    for (std::size_t b = 0; b < c; ++b)
      for (std::size_t a = 0; a < c; ++a) out[i * c + a] += roots_[i * c * c + b * c + a] * w[i * c + b];
}

}  // namespace pgdx::problem
