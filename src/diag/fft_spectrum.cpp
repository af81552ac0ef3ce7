#include "pgdx/diag/fft_spectrum.hpp"

#include <fftw3.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace pgdx::diag {

FftSpectrum::FftSpectrum(std::size_t n) : n_(n) {
  if (n == 0) throw std::invalid_argument("FftSpectrum: empty grid");
  const auto failed = [n] {
    return std::runtime_error("FFTW: could not create an r2c plan of size " + std::to_string(n));
  };
  // Each resource is owned as soon as it exists, so a throw below frees what came before.
  in_.reset(fftw_alloc_real(n));
  out_.reset(fftw_alloc_complex(n / 2 + 1));
  if (!in_ || !out_) throw failed();
  // FFTW_ESTIMATE: the plan (and so the round-off) must not depend on timing measurements.
  plan_.reset(fftw_plan_dft_r2c_1d(static_cast<int>(n), in_.get(), static_cast<fftw_complex*>(out_.get()),
                                   FFTW_ESTIMATE));
  if (!plan_) throw failed();
}

void FftSpectrum::mode_errors(const double* r, std::vector<double>& e) {
  double* in = in_.get();
  for (std::size_t j = 0; j < n_; ++j) in[j] = r[j];
  fftw_execute(static_cast<fftw_plan>(plan_.get()));
  const auto* out = static_cast<const fftw_complex*>(out_.get());
  e.resize(num_modes());
  for (std::size_t k = 0; k < e.size(); ++k) e[k] = std::hypot(out[k][0], out[k][1]) / static_cast<double>(n_);
}

}  // namespace pgdx::diag
