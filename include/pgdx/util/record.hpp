#pragma once
// One recorded step: named columns for /history, named rows for 2-D series such as
// /spectral/fft_error and named scalars for 1-D series such as /lazy/kernel_drift. Producers
// (trainer, diagnostics) fill it; sinks (HDF5, progress) read it, so neither side knows the other.
#include <string>
#include <utility>
#include <vector>

namespace pgdx {

struct Record {
  long step = 0;
  std::vector<std::pair<std::string, long long>> integers;  // → /history/<name> (int64)
  std::vector<std::pair<std::string, double>> reals;        // → /history/<name> (float64)
  // "group/name" → one row of a 2-D dataset; the group gets a "step" dataset of its own.
  std::vector<std::pair<std::string, std::vector<double>>> rows;
  // "group/name" → one value of a 1-D dataset in a group of its own (e.g. /lazy/kernel_drift, recorded
  // at a cadence of its own, so it cannot be a /history column); shares the group's step column.
  std::vector<std::pair<std::string, double>> scalars;

  double real(const std::string& name) const {
    for (const auto& [k, v] : reals)
      if (k == name) return v;
    return 0.0 / 0.0;
  }
};

}  // namespace pgdx
