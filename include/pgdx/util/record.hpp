#pragma once
// One recorded step: named columns for /history and named rows for 2-D series such as
// /spectral/fft_error. Producers (trainer, diagnostics) fill it; sinks (HDF5, progress) read it,
// so neither side knows the other.
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

  double real(const std::string& name) const {
    for (const auto& [k, v] : reals)
      if (k == name) return v;
    return 0.0 / 0.0;
  }
};

}  // namespace pgdx
