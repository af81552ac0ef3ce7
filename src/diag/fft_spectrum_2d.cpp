#include "pgdx/diag/fft_spectrum_2d.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace pgdx::diag {

FftSpectrum2d::FftSpectrum2d(std::size_t nx, std::size_t ny) : nx_(nx), ny_(ny) {
  if (nx == 0 || ny == 0) throw std::invalid_argument("FftSpectrum2d: empty grid");
  shell_.resize(nx * ny);
  for (std::size_t k = 0; k < nx; ++k)
    for (std::size_t l = 0; l < ny; ++l) {
      const double kf = static_cast<double>(std::min(k, nx - k)), lf = static_cast<double>(std::min(l, ny - l));
      const auto m = static_cast<std::size_t>(std::lround(std::sqrt(kf * kf + lf * lf)));
      shell_[k * ny + l] = m;
      if (m >= shell_size_.size()) shell_size_.resize(m + 1, 0);
      ++shell_size_[m];
    }
  const auto failed = [nx, ny] {
    return std::runtime_error("FFTW: could not create a 2-D r2c plan of size " + std::to_string(nx) + " x " +
                              std::to_string(ny));
  };
  // Each resource is owned as soon as it exists, so a throw below frees what came before.
  in_.reset(fftw_alloc_real(nx * ny));
  out_.reset(fftw_alloc_complex(nx * (ny / 2 + 1)));
  if (!in_ || !out_) throw failed();
  // FFTW_ESTIMATE: the plan (and so the round-off) must not depend on timing measurements.
  plan_.reset(fftw_plan_dft_r2c_2d(static_cast<int>(nx), static_cast<int>(ny), in_.get(),
                                   static_cast<fftw_complex*>(out_.get()), FFTW_ESTIMATE));
  if (!plan_) throw failed();
}

void FftSpectrum2d::spectrum(const double* r, std::vector<double>& e) {
  std::copy(r, r + nx_ * ny_, in_.get());
  fftw_execute(static_cast<fftw_plan>(plan_.get()));
  const auto* out = static_cast<const fftw_complex*>(out_.get());
  const std::size_t half = ny_ / 2 + 1;
  const double scale = 1.0 / static_cast<double>(nx_ * ny_);
  e.resize(nx_ * ny_);
  for (std::size_t k = 0; k < nx_; ++k)
    for (std::size_t l = 0; l < ny_; ++l) {
      // r is real, so X[k, l] = conj(X[−k, −l]): the r2c half holds every magnitude.
      const fftw_complex& x = l < half ? out[k * half + l] : out[((nx_ - k) % nx_) * half + (ny_ - l)];
      e[k * ny_ + l] = std::hypot(x[0], x[1]) * scale;
    }
}

void FftSpectrum2d::shell_means(const std::vector<double>& e, std::vector<double>& shells) const {
  if (e.size() != nx_ * ny_) throw std::invalid_argument("FftSpectrum2d::shell_means: spectrum has the wrong size");
  shells.assign(num_shells(), 0.0);
  for (std::size_t i = 0; i < e.size(); ++i) shells[shell_[i]] += e[i];
  for (std::size_t m = 0; m < shells.size(); ++m)
    shells[m] = shell_size_[m] ? shells[m] / static_cast<double>(shell_size_[m]) : std::nan("");
}

}  // namespace pgdx::diag
