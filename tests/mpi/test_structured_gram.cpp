// The structured Gram path (K from layer factors, no Jacobian) against the explicit path (K from
// Jacobian rows), on the process grid of this run: same K and the same LM step to round-off.
#include <catch2/catch.hpp>

#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/levenberg_marquardt.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "test_support.hpp"

using namespace pgdx;

TEST_CASE("structured and explicit Gram paths give the same K and the same LM step", "[mpi][gram]") {
  const auto world = parallel::Comm::world();
  double worst_k = 0.0, worst_step = 0.0;
  for (auto act : {model::Activation::tanh, model::Activation::relu, model::Activation::quadratic})
    for (const auto& layers : {std::vector<std::size_t>{3, 2}, std::vector<std::size_t>{3, 7, 3},
                               std::vector<std::size_t>{4, 6, 5, 1}, std::vector<std::size_t>{2, 5, 4, 3}})
      for (bool bias : {true, false}) {
        model::MlpOptions o;
        o.layers = layers;
        o.activation = act;
        o.init = model::Init::glorot_normal;
        o.bias_init = model::Init::standard_normal;
        o.bias = bias;
        o.output_scale = 0.7;
        Rng rng(17, layers.size());
        task::Dataset data{test::random_matrix(layers.front(), 13, rng), test::random_matrix(layers.back(), 13, rng), {}};
        std::vector<double> steps[2];
        std::vector<double> k_lower[2];
        for (int path = 0; path < 2; ++path) {
          model::Mlp m(o, 3);
          const auto mode = path == 0 ? problem::GramMode::structured : problem::GramMode::explicit_rows;
          // Block 4 and distribution from 1 row: ScaLAPACK layout with many blocks per rank.
          problem::ResidualProblem problem(m, world, loss::Reduction::sum, {mode, 4, 1});
          problem.set_all(data);
          parallel::DistMatrix k;
          problem.gram(k);
          REQUIRE(problem.structured() == (path == 0));
          const std::size_t n = 13 * layers.back();
          const auto full = parallel::gather(k);
          k_lower[path] = test::lower_triangle(full, n);
          double trace = 0.0;
          for (std::size_t i = 0; i < n; ++i) trace += full[i + i * n];
          // μ scaled to K (1e-3 of its mean eigenvalue) keeps κ(K + μI) ≤ 1e3·N, so the step
          // inherits K's round-off without amplification by a near-singular system.
          optim::OptimizerOptions lm_options;
          lm_options.method = optim::Method::lm;
          lm_options.mu = 1e-3 * trace / double(n);
          lm_options.lr = 1.0;
          optim::LevenbergMarquardt lm(lm_options);
          const auto before = m.params();
          lm.step(problem);
          steps[path].resize(before.size());
          for (std::size_t i = 0; i < before.size(); ++i) steps[path][i] = before[i] - m.params()[i];
        }
        INFO("activation " << model::to_string(act) << ", depth " << layers.size() - 1 << ", bias " << bias);
        const double gap_k = test::relative_difference(k_lower[0], k_lower[1]);
        const double gap_step = test::relative_difference(steps[0], steps[1]);
        CHECK(gap_k <= 1e-10);
        CHECK(gap_step <= 1e-10);
        worst_k = std::max(worst_k, gap_k);
        worst_step = std::max(worst_step, gap_step);
      }
  if (world.is_root())
    WARN("structured vs explicit on " << world.size() << " rank(s): max relative gap in K " << worst_k
                                      << ", in the LM step " << worst_step);
}
