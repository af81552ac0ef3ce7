// The 2-D residual spectrum of Fig. 9 against a hand-written DFT, its radial shells against their
// definition, and the regression2d grid and target.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <cstdio>

#include "pgdx/diag/fft_spectrum_2d.hpp"
#include "pgdx/task/regression2d.hpp"
#include "test_support.hpp"

using namespace pgdx;

namespace {

// E_{k,l} = (1/n)|Σ_{a,b} r_{a,b} e^{−2πi(ka/nx + lb/ny)}| by the definition, O(n²).
std::vector<double> hand_dft(const std::vector<double>& r, std::size_t nx, std::size_t ny) {
  std::vector<double> e(nx * ny);
  for (std::size_t k = 0; k < nx; ++k)
    for (std::size_t l = 0; l < ny; ++l) {
      std::complex<double> sum = 0.0;
      for (std::size_t a = 0; a < nx; ++a)
        for (std::size_t b = 0; b < ny; ++b) {
          const double phase = -2.0 * M_PI * (static_cast<double>(k * a) / nx + static_cast<double>(l * b) / ny);
          sum += r[a * ny + b] * std::polar(1.0, phase);
        }
      e[k * ny + l] = std::abs(sum) / static_cast<double>(nx * ny);
    }
  return e;
}

}  // namespace

TEST_CASE("2-D spectrum equals a hand DFT, odd and even grid sizes", "[spectrum]") {
  Rng rng(8, Stream::test);
  for (auto [nx, ny] : {std::pair<std::size_t, std::size_t>{8, 6}, {7, 10}, {5, 5}}) {
    const std::vector<double> r = test::random_vector(nx * ny, rng);
    diag::FftSpectrum2d fft(nx, ny);
    std::vector<double> e;
    fft.spectrum(r.data(), e);
    const double error = test::relative_difference(e, hand_dft(r, nx, ny));
    std::printf("  2-D FFT vs hand DFT, %zu x %zu: max relative error %.2e\n", nx, ny, error);
    CHECK(error < 1e-13);
  }
}

TEST_CASE("radial shells average the spectrum over round(sqrt(k~^2 + l~^2)) = m", "[spectrum]") {
  const std::size_t nx = 40, ny = 40;
  diag::FftSpectrum2d fft(nx, ny);
  CHECK(fft.num_shells() == 29);  // round(√(20² + 20²)) = 28
  CHECK(fft.shell_of(0, 0) == 0);
  CHECK(fft.shell_of(39, 0) == 1);   // folded: k~ = 1
  CHECK(fft.shell_of(3, 37) == 4);   // (3, 3): √18 = 4.24
  CHECK(fft.shell_of(20, 20) == 28);
  // A pure plane wave cos(2π(3a/40 + 4b/40)) puts ½ at (3, 4) and (37, 36): shell 5 only.
  std::vector<double> r(nx * ny), e, shells;
  for (std::size_t a = 0; a < nx; ++a)
    for (std::size_t b = 0; b < ny; ++b) r[a * ny + b] = std::cos(2 * M_PI * (3.0 * a + 4.0 * b) / 40.0);
  fft.spectrum(r.data(), e);
  fft.shell_means(e, shells);
  std::size_t members = 0;
  for (std::size_t k = 0; k < nx; ++k)
    for (std::size_t l = 0; l < ny; ++l) members += fft.shell_of(k, l) == 5 ? 1 : 0;
  for (std::size_t m = 0; m < shells.size(); ++m) {
    INFO("shell " << m);
    CHECK(shells[m] == Approx(m == 5 ? 1.0 / members : 0.0).margin(1e-14));
  }
}

TEST_CASE("regression2d: eq. 7 on a 40 x 40 grid in row-major order", "[spectrum]") {
  CHECK(task::regression2d_target(0.1, 0.2) == 1.0);
  CHECK(task::regression2d_target(0.9, 0.8) == 2.0);
  CHECK(task::regression2d_target(0.3, 0.7) == 0.75);
  CHECK(task::regression2d_target(0.3, 0.5) == 0.75);  // y ≥ 0.5 is inclusive
  CHECK(task::regression2d_target(0.7, 0.3) == 0.0);
  task::Regression2d task(40);
  const auto& data = task.train();
  REQUIRE(data.size() == 1600);
  CHECK(task.train_grid_shape() == std::vector<std::size_t>{40, 40});
  CHECK(data.x(0, 41) == Approx(1.0 / 39));  // sample a·40 + b: a = 1, b = 1
  CHECK(data.x(1, 41) == Approx(1.0 / 39));
  CHECK(data.x(0, 40 * 39) == 1.0);
  CHECK(data.x(1, 39) == 1.0);
  double sum = 0.0;
  for (double v : data.y.storage()) sum += v;
  CHECK(sum > 0.0);
}
