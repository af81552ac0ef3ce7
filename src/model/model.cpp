#include "pgdx/model/model.hpp"

#include <algorithm>

namespace pgdx::model {

void Model::vjp_blocks(const Matrix& x, const Matrix& r, std::size_t block, Matrix& partials) {
  const std::size_t n = x.cols(), blocks = (n + block - 1) / block;
  partials.resize(num_params(), blocks);
  Matrix x_block, r_block;
  std::vector<double> grad;
  for (std::size_t k = 0; k < blocks; ++k) {
    const std::size_t begin = k * block, end = std::min(n, begin + block);
    x.copy_columns(begin, end, x_block);
    r.copy_columns(begin, end, r_block);
    forget_cached_forward();  // x_block's address is reused for new contents
    vjp(x_block, r_block, grad);
    std::copy(grad.begin(), grad.end(), partials.col(k));
  }
  forget_cached_forward();
}

}  // namespace pgdx::model
