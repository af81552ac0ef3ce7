#pragma once
// Residual spectrum on a uniform 1-D grid (EXPERIMENTS.md §0.6):
//   e_k = (1/n)·|Σ_j r_j exp(−2πi k j / n)|, k = 0 … ⌊n/2⌋.
// FFTW is unnormalised; the 1/n is applied here so amplitudes match the paper.
#include <cstddef>
#include <vector>

#include "pgdx/diag/fftw_handle.hpp"

namespace pgdx::diag {

class FftSpectrum {
 public:
  explicit FftSpectrum(std::size_t n);
  ~FftSpectrum() = default;
  FftSpectrum(const FftSpectrum&) = delete;
  FftSpectrum& operator=(const FftSpectrum&) = delete;
  FftSpectrum(FftSpectrum&&) noexcept = default;
  FftSpectrum& operator=(FftSpectrum&&) = delete;

  std::size_t size() const { return n_; }
  std::size_t num_modes() const { return n_ / 2 + 1; }
  // Writes num_modes() values into e.
  void mode_errors(const double* r, std::vector<double>& e);

 private:
  std::size_t n_;
  // The plan is declared last so that it is destroyed before the buffers it was made for.
  detail::FftwReal in_;
  detail::FftwComplex out_;
  detail::FftwPlan plan_;
};

}  // namespace pgdx::diag
