#pragma once
// Residual spectrum on a uniform 1-D grid (EXPERIMENTS.md §0.6):
//   e_k = (1/n)·|Σ_j r_j exp(−2πi k j / n)|, k = 0 … ⌊n/2⌋.
// FFTW is unnormalised; the 1/n is applied here so amplitudes match the paper.
#include <cstddef>
#include <vector>

namespace pgdx::diag {

class FftSpectrum {
 public:
  explicit FftSpectrum(std::size_t n);
  ~FftSpectrum();
  FftSpectrum(const FftSpectrum&) = delete;
  FftSpectrum& operator=(const FftSpectrum&) = delete;
  FftSpectrum(FftSpectrum&& other) noexcept;
  FftSpectrum& operator=(FftSpectrum&&) = delete;

  std::size_t size() const { return n_; }
  std::size_t num_modes() const { return n_ / 2 + 1; }
  // Writes num_modes() values into e.
  void mode_errors(const double* r, std::vector<double>& e);

 private:
  std::size_t n_;
  double* in_ = nullptr;
  void* out_ = nullptr;   // fftw_complex*
  void* plan_ = nullptr;  // fftw_plan
};

}  // namespace pgdx::diag
