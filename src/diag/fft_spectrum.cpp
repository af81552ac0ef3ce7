#include "pgdx/diag/fft_spectrum.hpp"

#include <fftw3.h>

#include <cmath>
#include <stdexcept>
#include <utility>

namespace pgdx::diag {

FftSpectrum::FftSpectrum(std::size_t n) : n_(n) {
  if (n == 0) throw std::invalid_argument("FftSpectrum: empty grid");
  in_ = fftw_alloc_real(n);
  out_ = fftw_alloc_complex(n / 2 + 1);
  // FFTW_ESTIMATE: the plan (and so the round-off) must not depend on timing measurements.
  plan_ = fftw_plan_dft_r2c_1d(static_cast<int>(n), in_, static_cast<fftw_complex*>(out_), FFTW_ESTIMATE);
  if (!in_ || !out_ || !plan_) throw std::runtime_error("FFTW: could not create an r2c plan of size " + std::to_string(n));
}

FftSpectrum::FftSpectrum(FftSpectrum&& other) noexcept
    : n_(other.n_), in_(std::exchange(other.in_, nullptr)), out_(std::exchange(other.out_, nullptr)),
      plan_(std::exchange(other.plan_, nullptr)) {}

FftSpectrum::~FftSpectrum() {
  if (plan_) fftw_destroy_plan(static_cast<fftw_plan>(plan_));
  if (out_) fftw_free(out_);
  if (in_) fftw_free(in_);
}

void FftSpectrum::mode_errors(const double* r, std::vector<double>& e) {
  for (std::size_t j = 0; j < n_; ++j) in_[j] = r[j];
  fftw_execute(static_cast<fftw_plan>(plan_));
  const auto* out = static_cast<const fftw_complex*>(out_);
  e.resize(num_modes());
  for (std::size_t k = 0; k < e.size(); ++k) e[k] = std::hypot(out[k][0], out[k][1]) / static_cast<double>(n_);
}

}  // namespace pgdx::diag
