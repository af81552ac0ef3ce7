// Residual FFT against a hand-computed DFT; weight norm and distance from init; grokking numbers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <complex>

#include "pgdx/diag/fft_spectrum.hpp"
#include "pgdx/diag/weights.hpp"
#include "pgdx/run/grokking.hpp"
#include "pgdx/run/trainer.hpp"
#include "pgdx/task/regression1d.hpp"
#include "test_support.hpp"

using namespace pgdx;

TEST_CASE("FFT mode errors equal (1/n)|sum_j r_j exp(-2 pi i k j / n)| computed by hand", "[diag][fft]") {
  for (std::size_t n : {100u, 7u, 64u}) {
    Rng rng(41, n);
    const auto r = test::random_vector(n, rng);
    diag::FftSpectrum fft(n);
    std::vector<double> e;
    fft.mode_errors(r.data(), e);
    REQUIRE(e.size() == n / 2 + 1);
    for (std::size_t k = 0; k < e.size(); ++k) {
      std::complex<double> sum = 0.0;
      for (std::size_t j = 0; j < n; ++j)
        sum += r[j] * std::exp(std::complex<double>(0.0, -2.0 * M_PI * double(k) * double(j) / double(n)));
      INFO("n " << n << ", k " << k);
      CHECK(e[k] == Approx(std::abs(sum) / double(n)).margin(1e-14));
    }
  }
}

TEST_CASE("FFT of a pure grid cosine puts amplitude 1/2 in its mode and nothing elsewhere", "[diag][fft]") {
  const std::size_t n = 100;
  std::vector<double> r(n);
  for (std::size_t j = 0; j < n; ++j) r[j] = 3.0 + std::cos(2.0 * M_PI * 5.0 * double(j) / double(n));
  diag::FftSpectrum fft(n);
  std::vector<double> e;
  fft.mode_errors(r.data(), e);
  CHECK(e[0] == Approx(3.0));
  CHECK(e[5] == Approx(0.5));
  for (std::size_t k = 1; k < e.size(); ++k)
    if (k != 5) CHECK(e[k] < 1e-13);
}

TEST_CASE("regression1d target and grid follow EXPERIMENTS.md section 1", "[task]") {
  task::Regression1d t(100);
  CHECK(t.train().size() == 100);
  CHECK(t.train().x(0, 0) == 0.0);
  CHECK(t.train().x(0, 99) == 1.0);
  CHECK(t.train().x(0, 33) == Approx(33.0 / 99.0));
  const double x = 0.3;
  const double u = (std::sin(3 * M_PI * x - 1) + 2 * std::sin(5 * M_PI * x - 2) + 3 * std::sin(7 * M_PI * x - 3)) / 3;
  CHECK(task::regression1d_target(x) == Approx(u).epsilon(1e-15));
}

TEST_CASE("weight norm and relative distance from init", "[diag]") {
  const std::vector<double> theta0 = {3.0, 4.0};
  const std::vector<double> theta = {3.0, 4.0 + 2.5};
  CHECK(diag::weight_norm(theta0) == Approx(5.0));
  CHECK(diag::relative_distance(theta, theta0) == Approx(0.5));
  CHECK(diag::relative_distance(theta0, theta0) == 0.0);
}

TEST_CASE("grokking numbers from a synthetic history", "[grokking]") {
  // Recorded every 10 steps: train accuracy crosses 0.99 at step 40, test accuracy 0.8 at step 130.
  std::vector<std::int64_t> steps;
  std::vector<double> train, test;
  for (std::int64_t s = 0; s <= 200; s += 10) {
    steps.push_back(s);
    train.push_back(s < 40 ? 0.5 + s / 100.0 : 0.995);
    test.push_back(s < 130 ? 0.1 + s / 1000.0 : 0.85);
  }
  const auto m = run::grokking_metrics(steps, train, test, 0.99, 0.8);
  CHECK(m.train_step == 40);
  CHECK(m.test_step == 130);
  CHECK(m.delay == 90);
  // A lower threshold is reached sooner; never reaching it gives −1 for the step and the delay.
  const auto early = run::grokking_metrics(steps, train, test, 0.99, 0.2);
  CHECK(early.test_step == 100);
  CHECK(early.delay == 60);
  const auto never = run::grokking_metrics(steps, train, test, 0.99, 0.9);
  CHECK(never.test_step == -1);
  CHECK(never.delay == -1);
  // NaN (no test set) is never "reached".
  std::vector<double> nan(test.size(), std::nan(""));
  CHECK(run::grokking_metrics(steps, train, nan, 0.99, 0.5).test_step == -1);
}

TEST_CASE("the log record schedule: dense early, log-spaced late", "[grokking]") {
  const std::vector<long> steps = run::log_record_steps(22000);
  REQUIRE(steps.size() > 200);
  CHECK(steps.size() <= 242);
  for (long s = 1; s <= 30; ++s) CHECK(steps[static_cast<std::size_t>(s - 1)] == s);
  CHECK(steps[30] == 40);
  CHECK(std::is_sorted(steps.begin(), steps.end()));
  CHECK(std::adjacent_find(steps.begin(), steps.end()) == steps.end());
  CHECK(steps.back() == 22000);
  // Late points grow by (22000/150)^(1/200) ≈ 1.025 per point.
  const double ratio = static_cast<double>(steps.back()) / static_cast<double>(steps[steps.size() - 2]);
  CHECK(ratio == Approx(std::pow(22000.0 / 150.0, 1.0 / 200)).epsilon(1e-3));
  CHECK(run::log_record_steps(20) == std::vector<long>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
                                                       19, 20});
}
