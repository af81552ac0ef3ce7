// Run under mpirun with 1, 2 and 4 ranks: sums over samples in fixed blocks (ProblemOptions::
// sample_block) give the same bits on any number of ranks — the block-ordered reduction itself,
// and the gradient, the GGN product and a GGN–CG step built on it — where a sum of per-rank sums
// (MPI_Allreduce) differs in the last bits.
#include <catch2/catch.hpp>

#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/ggn_conjugate_gradient.hpp"
#include "pgdx/parallel/comm.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "classification_fixtures.hpp"
#include "test_support.hpp"

using namespace pgdx;

namespace {

constexpr std::size_t kClasses = 5;

task::Dataset classification_data(std::size_t n, Rng& rng) { return test::classification_data(n, 6, kClasses, rng); }

model::Mlp net(std::uint64_t seed) { return test::classification_net(seed, 6, 12, kClasses, model::Activation::tanh, 1.0); }

}  // namespace

TEST_CASE("ordered_block_sum adds the blocks in global order on any number of ranks", "[mpi][ordered_sum]") {
  const auto world = parallel::Comm::world();
  Rng rng(91, Stream::test);
  const std::size_t blocks = 11, width = 37;
  std::vector<double> all(blocks * width);
  for (double& v : all) v = rng.normal() * std::pow(10.0, static_cast<double>(rng.below(12)) - 6.0);
  std::vector<double> serial(width, 0.0);
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t i = 0; i < width; ++i) serial[i] += all[b * width + i];
  const parallel::IndexRange mine = parallel::shard(blocks, world.rank(), world.size());
  const std::vector<double> local(all.begin() + static_cast<long>(mine.begin * width),
                                  all.begin() + static_cast<long>(mine.end * width));
  std::vector<double> out;
  world.ordered_block_sum(local, mine.size(), width, out);
  CHECK(out == serial);  // bitwise
}

TEST_CASE("with sample blocks the gradient, the GGN product and a GGN-CG step are bitwise rank-independent",
          "[mpi][ordered_sum][ggn]") {
  const auto world = parallel::Comm::world();
  Rng rng(93, Stream::test);
  const task::Dataset data = classification_data(45, rng);  // 45 = 5 blocks of 8 and one of 5
  const auto v = test::random_vector(net(1).num_params(), rng);
  problem::ProblemOptions options;
  options.sample_block = 8;
  struct Result {
    std::vector<double> residual, gradient, ggn_v, stepped;
    optim::StepInfo info;
  };
  auto compute = [&](const parallel::Comm& comm) {
    auto model = net(3);
    problem::ResidualProblem problem(model, comm, loss::Reduction::mean, options);
    problem.set_loss_kind(loss::LossKind::cross_entropy);
    problem.set_all(data);
    Result r;
    problem.gradient(r.residual, r.gradient);
    problem.ggn_times(v, r.ggn_v);
    optim::OptimizerOptions o;
    o.method = optim::Method::ggn;
    o.solver = optim::CurvatureSolver::cg;
    o.lr = 1.0;
    o.mu = 0.1;
    optim::GgnConjugateGradient ggn(o);
    r.info = ggn.step(problem);
    r.stepped = model.params();
    return r;
  };
  const Result alone = compute(parallel::Comm::self());
  const Result shared = compute(world);
  CHECK(shared.residual == alone.residual);
  CHECK(shared.gradient == alone.gradient);
  CHECK(shared.ggn_v == alone.ggn_v);
  CHECK(shared.info.cg_iterations == alone.info.cg_iterations);
  CHECK(shared.info.armijo_trials == alone.info.armijo_trials);
  CHECK(shared.info.lr == alone.info.lr);
  CHECK(shared.stepped == alone.stepped);
}
