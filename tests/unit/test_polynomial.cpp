// The polynomial-teacher study of Fig. 6: the committee model (Jacobian against central finite
// differences, centring, Gram factors against J Jᵀ and the closed form of EXPERIMENTS.md §5), the
// teacher data and its rays, and the subspace spectrum against a hand DFT.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>

#include "pgdx/model/committee.hpp"
#include "pgdx/model/model_registry.hpp"
#include "pgdx/diag/stock_diagnostics.hpp"
#include "pgdx/task/polynomial_teacher.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

namespace {

model::MlpOptions committee_options(std::size_t d, std::size_t h, double alpha, model::Activation act) {
  model::MlpOptions o;
  o.kind = model::ModelKind::committee;
  o.layers = {d, h, 1};
  o.activation = act;
  o.activation_epsilon = 0.25;
  o.init = model::Init::standard_normal;
  o.bias = false;
  o.output_scale = alpha;
  return o;
}

std::vector<double> forward_values(model::Model& m, const Matrix& x) {
  Matrix f;
  m.forward(x, f);
  return f.storage();
}

// Moves θ away from θ₀ so the centred output and φ'(h) are not at their initial values.
void perturb(model::Model& m, Rng& rng, double size) {
  std::vector<double> theta = m.params();
  for (double& t : theta) t += size * rng.normal();
  m.set_params(theta);
}

}  // namespace

TEST_CASE("committee: centred output is zero at init and s/H sum phi(w.x/sqrt(D)) minus its initial value after",
          "[polynomial][model]") {
  const std::size_t d = 7, h = 9;
  model::Committee m(committee_options(d, h, 4.0, model::Activation::polynomial), 3);
  Rng rng(1, Stream::test);
  const Matrix x = test::random_matrix(d, 5, rng);
  CHECK(test::max_abs(forward_values(m, x)) == 0.0);
  const std::vector<double> theta0 = m.params();
  perturb(m, rng, 0.3);
  const auto g = forward_values(m, x);
  for (std::size_t j = 0; j < 5; ++j) {
    double now = 0.0, start = 0.0;
    for (std::size_t i = 0; i < h; ++i) {
      double z = 0.0, z0 = 0.0;
      for (std::size_t k = 0; k < d; ++k) {
        z += m.params()[i * d + k] * x(k, j) / std::sqrt(double(d));
        z0 += theta0[i * d + k] * x(k, j) / std::sqrt(double(d));
      }
      now += z + 0.125 * z * z;
      start += z0 + 0.125 * z0 * z0;
    }
    CHECK(g[j] == Approx(4.0 / h * (now - start)).epsilon(1e-13));
  }
}

TEST_CASE("committee jvp, vjp and Jacobian rows match central differences", "[polynomial][model][fd]") {
  double worst = 0.0;
  for (auto act : {model::Activation::polynomial, model::Activation::quadratic, model::Activation::tanh}) {
    for (bool centered : {true, false}) {
      auto o = committee_options(6, 8, 2.5, act);
      o.centered = centered;
      const auto m = model::make_model(o, 5);
      Rng rng(2, Stream::test);
      perturb(*m, rng, 0.2);
      const Matrix x = test::random_matrix(6, 7, rng);
      const auto v = test::random_vector(m->num_params(), rng);
      Matrix jv;
      m->jvp(x, v, jv);
      const auto fd = test::central_difference(
          m->params(), v, 1e-6, [&](const std::vector<double>& t) { m->set_params(t); },
          [&] { return forward_values(*m, x); });
      const double err = test::relative_difference(jv.storage(), fd);
      worst = std::max(worst, err);
      INFO("activation " << model::to_string(act) << ", centered " << centered);
      CHECK(err < 1e-6);
      // vjp is the adjoint of the finite-difference Jacobian; the explicit rows equal both.
      const Matrix r = test::random_matrix(1, 7, rng);
      std::vector<double> grad;
      m->vjp(x, r, grad);
      CHECK(std::abs(linalg::dot(grad.size(), grad.data(), v.data()) - linalg::dot(7, r.data(), fd.data())) <=
            1e-6 * std::max(1.0, test::max_abs(grad)));
      Matrix jt;
      m->jacobian_transposed(x, jt);
      std::vector<double> jv_rows(7), grad_rows(jt.rows());
      linalg::gemv(linalg::Op::transpose, 1.0, jt, v.data(), 0.0, jv_rows.data());
      linalg::gemv(linalg::Op::none, 1.0, jt, r.data(), 0.0, grad_rows.data());
      CHECK(test::relative_difference(jv_rows, jv.storage()) < 1e-12);
      CHECK(test::relative_difference(grad_rows, grad) < 1e-12);
    }
  }
  WARN("committee jvp vs central differences: max relative error " << worst);
}

TEST_CASE("committee Gram factors give J J^T and the closed form alpha^2/(H^2 D) (x.x') sum phi'phi'",
          "[polynomial][model]") {
  const std::size_t d = 5, h = 11, n = 6;
  const double alpha = 3.0;
  model::Committee m(committee_options(d, h, alpha, model::Activation::polynomial), 8);
  Rng rng(3, Stream::test);
  perturb(m, rng, 0.4);
  const Matrix x = test::random_matrix(d, n, rng);
  model::GramFactors factors;
  REQUIRE(m.gram_factors(x, factors));
  REQUIRE(factors.inputs.size() == 1);
  CHECK(factors.bias_term == 0.0);
  Matrix jt;
  m.jacobian_transposed(x, jt);
  double worst_rows = 0.0, worst_closed = 0.0;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b) {
      const double from_rows = linalg::dot(jt.rows(), jt.col(a), jt.col(b));
      const double from_factors = linalg::dot(d, factors.inputs[0].col(a), factors.inputs[0].col(b)) *
                                  linalg::dot(h, factors.signals[0].col(a), factors.signals[0].col(b));
      double xx = 0.0, slopes = 0.0;
      for (std::size_t k = 0; k < d; ++k) xx += x(k, a) * x(k, b);
      for (std::size_t i = 0; i < h; ++i) {
        double za = 0.0, zb = 0.0;
        for (std::size_t k = 0; k < d; ++k) {
          za += m.params()[i * d + k] * x(k, a) / std::sqrt(double(d));
          zb += m.params()[i * d + k] * x(k, b) / std::sqrt(double(d));
        }
        slopes += (1.0 + 0.25 * za) * (1.0 + 0.25 * zb);
      }
      const double closed = alpha * alpha / (double(h * h) * double(d)) * xx * slopes;
      worst_rows = std::max(worst_rows, std::abs(from_factors - from_rows) / std::abs(from_rows));
      worst_closed = std::max(worst_closed, std::abs(closed - from_rows) / std::abs(from_rows));
    }
  CHECK(worst_rows < 1e-13);
  CHECK(worst_closed < 1e-12);
  const std::vector<double> z = test::random_vector(n, rng);
  std::vector<double> from_factors, from_vjp;
  model::gradient_from_factors(factors, 1, z.data(), from_factors);
  Matrix zm(1, n);
  zm.storage() = z;
  m.vjp(x, zm, from_vjp);
  CHECK(test::relative_difference(from_factors, from_vjp) < 1e-13);
}

TEST_CASE("polynomial teacher: Gaussian inputs, y = (beta.x/sqrt(D))^2, seeded sets and the two rays",
          "[polynomial][task]") {
  task::PolynomialTeacher t(100, 450, 1000, 128, 0);
  REQUIRE(t.train().size() == 450);
  REQUIRE(t.test()->size() == 1000);
  REQUIRE(t.train().x.rows() == 100);
  double mean = 0.0, square = 0.0;
  for (double v : t.train().x.storage()) {
    mean += v;
    square += v * v;
  }
  mean /= 45000.0;
  square /= 45000.0;
  CHECK(std::abs(mean) < 0.02);              // 4.5 standard errors of N(0, 1) over 45 000 draws
  CHECK(std::abs(square - 1.0) < 0.03);
  for (std::size_t j : {0, 17, 449}) {
    double projection = 0.0;
    for (std::size_t k = 0; k < 100; ++k) projection += t.teacher()[k] * t.train().x(k, j);
    CHECK(t.train().y(0, j) == Approx(projection * projection / 100.0).epsilon(1e-14));
  }
  const auto& rays = t.subspace_rays();
  REQUIRE(rays.size() == 2);
  CHECK(rays[0].name == "train");
  CHECK(rays[1].name == "test");
  for (const auto& ray : rays) {
    REQUIRE(ray.points.size() == 128);
    for (std::size_t k = 0; k < 100; ++k) {
      CHECK(ray.points.x(k, 0) == 0.0);
      const double end = ray.name == "train" ? t.train().x(k, 0) : 1.0;
      CHECK(ray.points.x(k, 127) == end);
      CHECK(ray.points.x(k, 64) == Approx(64.0 / 127.0 * end).epsilon(1e-15));
    }
    CHECK(ray.points.y(0, 127) == Approx(t.target(ray.points.x.col(127))).epsilon(1e-15));
  }
  task::PolynomialTeacher same(100, 450, 1000, 128, 0), more(100, 500, 10, 128, 0), other(100, 450, 1000, 128, 1);
  CHECK(same.train().x.storage() == t.train().x.storage());
  CHECK(same.teacher() == t.teacher());
  // Sizes of one set never change another or the teacher (independent streams).
  CHECK(std::equal(t.train().x.storage().begin(), t.train().x.storage().end(), more.train().x.storage().begin()));
  CHECK(more.teacher() == t.teacher());
  CHECK(other.train().x.storage() != t.train().x.storage());
}

TEST_CASE("subspace spectrum: e_k = (1/m)|DFT_k(y - g)| along each ray, by hand", "[polynomial][diag]") {
  task::PolynomialTeacher t(12, 30, 10, 16, 4);
  auto o = committee_options(12, 20, 2.0, model::Activation::polynomial);
  model::Committee m(o, 4);
  Rng rng(5, Stream::test);
  perturb(m, rng, 0.5);
  diag::SubspaceSpectrumDiagnostic diagnostic(m, t.subspace_rays());
  std::vector<diag::Axis> axes;
  diagnostic.axes(axes);
  REQUIRE(axes.size() == 1);
  CHECK(axes[0].path == "/subspace/modes");
  CHECK(axes[0].values.size() == 9);
  const std::vector<double> none;
  Record record;
  diagnostic.measure(diag::Evaluation{0, none, none, none}, record);
  REQUIRE(record.rows.size() == 2);
  double worst = 0.0;
  for (std::size_t r = 0; r < 2; ++r) {
    const auto& ray = t.subspace_rays()[r];
    CHECK(record.rows[r].first == "subspace/fft_error_" + ray.name);
    const auto g = forward_values(m, ray.points.x);
    REQUIRE(record.rows[r].second.size() == 9);
    for (std::size_t k = 0; k <= 8; ++k) {
      std::complex<double> sum = 0.0;
      for (std::size_t j = 0; j < 16; ++j)
        sum += (ray.points.y(0, j) - g[j]) * std::polar(1.0, -2.0 * M_PI * double(k * j) / 16.0);
      const double expected = std::abs(sum) / 16.0;
      worst = std::max(worst, std::abs(record.rows[r].second[k] - expected) / std::max(expected, 1e-300));
    }
  }
  CHECK(worst < 1e-12);
  WARN("subspace spectrum vs hand DFT: max relative error " << worst);
}
