#include "pgdx/problem/residual_operator.hpp"

#include <algorithm>
#include <stdexcept>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/problem/laplacian_residual.hpp"
#include "pgdx/problem/output_minus_target.hpp"

namespace pgdx::problem {

void ResidualOperator::jvp(const Samples& s, const std::vector<double>& v, Matrix& jv) {
  Matrix jt;
  jacobian_transposed(s, jt);
  jv.resize(rows_per_sample(), s.x.cols());
  linalg::gemv(linalg::Op::transpose, 1.0, jt, v.data(), 0.0, jv.data());
}

void ResidualOperator::vjp_blocks(const Samples& s, const Matrix& cotangent, std::size_t block, Matrix& partials) {
  const std::size_t n = s.x.cols(), blocks = (n + block - 1) / block;
  partials.resize(model().num_params(), blocks);
  Matrix x, y, coefficients, c;
  std::vector<double> grad;
  for (std::size_t k = 0; k < blocks; ++k) {
    const std::size_t begin = k * block, end = std::min(n, begin + block);
    s.x.copy_columns(begin, end, x);
    s.y.copy_columns(begin, end, y);
    if (s.coefficients.rows() > 0) s.coefficients.copy_columns(begin, end, coefficients);
    cotangent.copy_columns(begin, end, c);
    forget_cached_forward();  // the block matrices' addresses are reused for new contents
    vjp(Samples{x, y, coefficients}, c, grad);
    std::copy(grad.begin(), grad.end(), partials.col(k));
  }
  forget_cached_forward();
}

std::unique_ptr<ResidualOperator> make_residual_operator(ResidualKind kind, model::Model& model, double scale) {
  if (kind == ResidualKind::laplacian) {
    auto* mlp = dynamic_cast<model::Mlp*>(&model);
    // The compatibility check asks the model's capabilities first; this is the library guard.
    if (!mlp) throw std::logic_error("a differential-operator residual needs an Mlp (input_derivatives capability)");
    return std::make_unique<LaplacianResidual>(*mlp);
  }
  return std::make_unique<OutputMinusTarget>(model, scale);
}

}  // namespace pgdx::problem
