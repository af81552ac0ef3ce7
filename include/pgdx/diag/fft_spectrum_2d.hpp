#pragma once
// Residual spectrum on a uniform nx × ny grid (EXPERIMENTS.md §0.6, paper Fig. 9):
//   E_{k,l} = (1/n)·|Σ_{a,b} r_{a,b} exp(−2πi (k a/nx + l b/ny))|,  n = nx·ny,
// r row-major (a ↔ x, b ↔ y), unshifted, all k < nx, l < ny; and its radial shells
//   e_m = mean of E_{k,l} over round(√(k̃² + l̃²)) = m,  k̃ = min(k, nx − k), l̃ = min(l, ny − l),
// m = 0 … num_shells() − 1. (√ of an integer is never exactly m + ½, so rounding is unambiguous.)
#include <cstddef>
#include <vector>

#include "pgdx/diag/fftw_handle.hpp"

namespace pgdx::diag {

class FftSpectrum2d {
 public:
  FftSpectrum2d(std::size_t nx, std::size_t ny);
  ~FftSpectrum2d() = default;
  FftSpectrum2d(const FftSpectrum2d&) = delete;
  FftSpectrum2d& operator=(const FftSpectrum2d&) = delete;

  std::size_t nx() const { return nx_; }
  std::size_t ny() const { return ny_; }
  std::size_t num_shells() const { return shell_size_.size(); }
  std::size_t shell_of(std::size_t k, std::size_t l) const { return shell_[k * ny_ + l]; }

  // E (nx·ny values, row-major in (k, l)) of r (nx·ny values, row-major in (a, b)).
  void spectrum(const double* r, std::vector<double>& e);
  // Shell means of a spectrum from spectrum().
  void shell_means(const std::vector<double>& e, std::vector<double>& shells) const;

 private:
  std::size_t nx_, ny_;
  std::vector<std::size_t> shell_;       // shell of each (k, l)
  std::vector<std::size_t> shell_size_;  // members per shell
  // The plan is declared last so that it is destroyed before the buffers it was made for.
  detail::FftwReal in_;
  detail::FftwComplex out_;  // nx × (ny/2 + 1)
  detail::FftwPlan plan_;
};

}  // namespace pgdx::diag
