#pragma once
// The conjugate-gradient template of ggn_conjugate_gradient.hpp (a header so tests can solve with
// any product).
#include <cmath>
#include <vector>

namespace pgdx::optim {

namespace cg_detail {
inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace cg_detail

template <class Product>
CgResult conjugate_gradient(Product&& apply, const std::vector<double>& b, double tolerance, long max_iterations,
                            std::vector<double>& h) {
  const std::size_t n = b.size();
  h.assign(n, 0.0);
  std::vector<double> r = b, d = b, ad(n);
  double rr = cg_detail::dot(r, r);
  const double b_norm = std::sqrt(rr);
  CgResult result;
  result.stop = CgStop::max_iterations;
  if (b_norm == 0.0) {
    result.stop = CgStop::converged;
    return result;
  }
  for (long it = 0; it < max_iterations; ++it) {
    if (std::sqrt(rr) <= tolerance * b_norm) {
      result.stop = CgStop::converged;
      break;
    }
    apply(d, ad);
    const double dad = cg_detail::dot(d, ad);
    if (!(dad > 0.0)) {
      result.stop = CgStop::nonpositive_curvature;
      break;
    }
    const double alpha = rr / dad;
    for (std::size_t i = 0; i < n; ++i) {
      h[i] += alpha * d[i];
      r[i] -= alpha * ad[i];
    }
    ++result.iterations;
    const double rr_next = cg_detail::dot(r, r);
    const double beta = rr_next / rr;
    rr = rr_next;
    for (std::size_t i = 0; i < n; ++i) d[i] = r[i] + beta * d[i];
  }
  if (result.stop == CgStop::max_iterations && std::sqrt(rr) <= tolerance * b_norm) result.stop = CgStop::converged;
  result.relative_residual = std::sqrt(rr) / b_norm;
  double curvature = 0.0;
  for (std::size_t i = 0; i < n; ++i) curvature += h[i] * (b[i] - r[i]);
  result.curvature = curvature;
  return result;
}

}  // namespace pgdx::optim
