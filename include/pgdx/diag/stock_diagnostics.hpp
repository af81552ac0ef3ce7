#pragma once
// Stock diagnostics: weight norm and distance from init; residual spectra on 1-D and 2-D grids;
// the error against a task's exact solution. make_diagnostics picks what a task supports.
#include <memory>
#include <vector>

#include "pgdx/diag/fft_spectrum.hpp"
#include "pgdx/diag/fft_spectrum_2d.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/diag/diagnostic.hpp"
#include "pgdx/task/task.hpp"

namespace pgdx::diag {

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
  void axes(std::vector<Axis>& out) const override;

 private:
  FftSpectrum fft_;
  std::vector<double> r_, e_;
};

// spectral/fft_error_2d: radial-shell means of the 2-D spectrum of r = −e on an nx × ny training
// grid, every record; spectral_full/fft_error_2d: the whole spectrum, every `full_every` steps and
// at `last_step` (it is nx·ny numbers per row).
class Spectrum2dDiagnostic final : public Diagnostic {
 public:
  Spectrum2dDiagnostic(std::size_t nx, std::size_t ny, long full_every, long last_step)
      : fft_(nx, ny), full_every_(full_every), last_step_(last_step) {}
  void measure(const Evaluation& state, Record& record) override;
  void axes(std::vector<Axis>& out) const override;

 private:
  FftSpectrum2d fft_;
  long full_every_, last_step_;
  std::vector<double> r_, e_, shells_;
};

// l2_error = ‖u_θ − u*‖₂ / ‖u*‖₂ on the task's reference grid (exact solution u*).
class SolutionErrorDiagnostic final : public Diagnostic {
 public:
  SolutionErrorDiagnostic(model::Model& model, const task::Dataset& reference)
      : model_(model), reference_(reference) {}
  void measure(const Evaluation& state, Record& record) override;

 private:
  model::Model& model_;
  const task::Dataset& reference_;
  linalg::Matrix u_;
};

// subspace/fft_error_<ray>: e_k = (1/m)|DFT_k(r)| of r = y − g along each of the task's rays
// (EXPERIMENTS.md §5; r = u − f as for the grid spectra), k = 0 … m/2.
class SubspaceSpectrumDiagnostic final : public Diagnostic {
 public:
  SubspaceSpectrumDiagnostic(model::Model& model, const std::vector<task::SubspaceRay>& rays);
  void measure(const Evaluation& state, Record& record) override;
  void axes(std::vector<Axis>& out) const override;

 private:
  model::Model& model_;
  const std::vector<task::SubspaceRay>& rays_;
  FftSpectrum fft_;
  linalg::Matrix g_;
  std::vector<double> r_, e_;
};

struct DiagnosticOptions {
  long full_spectrum_every = 100;  // 2-D grids: the whole spectrum every this many steps (run.full_spectrum_every)
  long last_step = 0;              // the run's last step (always gets the whole spectrum)
};

// The diagnostics every run of this task records.
std::vector<std::unique_ptr<Diagnostic>> make_diagnostics(const task::Task& task, model::Model& model,
                                                         const DiagnosticOptions& options);

}  // namespace pgdx::diag
