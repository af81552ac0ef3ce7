// Loss reductions: the value and the gradient of each against a direct formula and central
// differences, on a 3-output model (elementwise_mean is PyTorch's MSELoss: every entry, no ½).
#include <catch2/catch.hpp>

#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/first_order.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

TEST_CASE("loss reductions: value and gradient match their formulas", "[loss]") {
  model::MlpOptions o;
  o.layers = {4, 6, 3};
  o.init = model::Init::glorot_normal;
  model::Mlp net(o, 2);
  Rng rng(3, Stream::test);
  task::Dataset data{test::random_matrix(4, 5, rng), test::random_matrix(3, 5, rng), {}};
  Matrix f;
  net.forward(data.x, f);
  double squares = 0.0;
  for (std::size_t i = 0; i < f.size(); ++i) squares += (f.data()[i] - data.y.data()[i]) * (f.data()[i] - data.y.data()[i]);
  const struct {
    loss::Reduction reduction;
    double expected;
  } cases[] = {{loss::Reduction::sum, 0.5 * squares},
               {loss::Reduction::mean, 0.5 * squares / 5},
               {loss::Reduction::elementwise_mean, squares / 15}};
  for (const auto& c : cases) {
    INFO(loss::to_string(c.reduction));
    problem::ResidualProblem problem(net, parallel::Comm::self(), c.reduction);
    problem.set_all(data);
    CHECK(problem.loss() == Approx(c.expected).epsilon(1e-14));
    std::vector<double> e, gradient;
    problem.gradient(e, gradient);
    const std::vector<double> v = test::random_vector(net.num_params(), rng);
    const auto fd = test::central_difference(
        net.params(), v, 1e-6, [&](const std::vector<double>& t) { problem.set_params(t); },
        [&] { return std::vector<double>{problem.loss()}; });
    CHECK(linalg::dot(v.size(), v.data(), gradient.data()) == Approx(fd[0]).epsilon(1e-7));
  }
}
