#include "pgdx/model/gram_factors.hpp"

#include "pgdx/linalg/blas.hpp"

namespace pgdx::model {

void gradient_from_factors(const GramFactors& factors, std::size_t outputs, const double* z,
                           std::vector<double>& grad) {
  std::size_t size = 0;
  for (std::size_t l = 0; l < factors.inputs.size(); ++l)
    size += factors.signals[l].rows() * (factors.inputs[l].rows() + (factors.bias_term != 0.0 ? 1 : 0));
  grad.assign(size, 0.0);
  linalg::Matrix scaled;
  std::size_t offset = 0;
  for (std::size_t l = 0; l < factors.inputs.size(); ++l) {
    const linalg::Matrix& a = factors.inputs[l];
    const linalg::Matrix& g = factors.signals[l];
    const std::size_t in = a.rows(), out = g.rows(), n = a.cols(), rows = g.cols();
    scaled.resize(out, rows);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < out; ++j) scaled(j, r) = g(j, r) * z[r];
    // W_l's row-major storage is column-major in × out: += A · (scaled columns of output c)ᵀ.
    for (std::size_t c = 0; c < outputs; ++c)
      linalg::gemm(linalg::Op::none, linalg::Op::transpose, static_cast<int>(in), static_cast<int>(out),
                   static_cast<int>(n), 1.0, a.data(), static_cast<int>(in), scaled.data() + c * out,
                   static_cast<int>(out * outputs), 1.0, grad.data() + offset, static_cast<int>(in));
    offset += in * out;
    if (factors.bias_term != 0.0) {
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < out; ++j) grad[offset + j] += scaled(j, r);
      offset += out;
    }
  }
}

}  // namespace pgdx::model
