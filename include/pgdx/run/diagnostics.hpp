#pragma once
// Stock diagnostics: weight norm and distance from init; residual FFT on a 1-D grid.
#include "pgdx/diag/fft_spectrum.hpp"
#include "pgdx/run/recording.hpp"

namespace pgdx::run {

// weight_norm = ‖θ‖₂, dist_from_init = ‖θ − θ₀‖₂/‖θ₀‖₂.
class WeightDiagnostic final : public Diagnostic {
 public:
  void measure(const Evaluation& state, Record& record) override;
};

// spectral/fft_error: e_k of r = u − f = −e on the training grid (EXPERIMENTS.md §0.6).
class SpectralErrorDiagnostic final : public Diagnostic {
 public:
  explicit SpectralErrorDiagnostic(std::size_t grid_points) : fft_(grid_points) {}
  std::size_t num_modes() const { return fft_.num_modes(); }
  void measure(const Evaluation& state, Record& record) override;

 private:
  diag::FftSpectrum fft_;
  std::vector<double> r_, e_;
};

}  // namespace pgdx::run
