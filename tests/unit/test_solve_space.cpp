// LM in the parameter space, (μI + JᵀJ) h = Jᵀe, takes the same step as in the sample space,
// Jᵀ(μI + JJᵀ)⁻¹e (the push-through identity), and "auto" picks the smaller system.
#include <catch2/catch.hpp>

#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/make_optimizer.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "test_support.hpp"

using namespace pgdx;

namespace {

struct Outcome {
  std::vector<double> theta;
  optim::StepInfo info;
};

Outcome lm_step(optim::SolveSpace space, std::size_t samples, bool bias) {
  model::MlpOptions o;
  o.layers = {6, 5, 4};  // p = 6·5 + 5·4 (+ 9 biases)
  o.activation = model::Activation::quadratic;
  o.init = model::Init::standard_normal;
  o.bias = bias;
  o.output_scale = 0.3;
  model::Mlp net(o, 4);
  Rng rng(5, Stream::test);
  task::Dataset data{test::random_matrix(6, samples, rng), test::random_matrix(4, samples, rng), {}};
  problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::sum);
  problem.set_all(data);
  optim::OptimizerOptions options;
  options.method = optim::Method::lm;
  options.lr = 0.5;
  options.mu = 0.05;
  options.solve_space = space;
  const auto lm = optim::make_optimizer(options);
  Outcome out;
  out.info = lm->step(problem);
  out.theta = net.params();
  return out;
}

}  // namespace

TEST_CASE("LM in the parameter space takes the sample-space step", "[optim]") {
  for (bool bias : {false, true}) {
    INFO("bias " << bias);
    // 15 samples x 4 outputs = 60 rows > p = 50 (no bias) or 59 (bias): auto picks the parameter space.
    const Outcome sample = lm_step(optim::SolveSpace::sample, 15, bias);
    const Outcome parameter = lm_step(optim::SolveSpace::parameter, 15, bias);
    const Outcome automatic = lm_step(optim::SolveSpace::automatic, 15, bias);
    CHECK(sample.info.parameter_space == 0);
    CHECK(parameter.info.parameter_space == 1);
    CHECK(automatic.info.parameter_space == 1);
    CHECK(test::relative_difference(parameter.theta, sample.theta) < 1e-11);
    CHECK(parameter.info.rho == Approx(sample.info.rho).epsilon(1e-9));  // same predicted decrease
    // Few rows: auto stays in the sample space.
    CHECK(lm_step(optim::SolveSpace::automatic, 5, bias).info.parameter_space == 0);
  }
}
