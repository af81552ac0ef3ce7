// Prints the tables of docs/scaling.md from the step cost model (src/app/cost_model.cpp):
// the model's phases for the measured shapes, strong scaling at fixed N, weak scaling at fixed K
// per rank, and the one-node limit of N. Build and run: bench/scaling_tables.sh
#include <cmath>
#include <cstdio>

#include "cost_model.hpp"

using namespace pgdx::app;

namespace {

StepShape mlp(std::vector<std::size_t> layers, std::size_t samples) {
  StepShape s;
  s.layers = std::move(layers);
  s.samples = samples;
  return s;
}

void phases(const char* name, const StepShape& s, int ranks, const Machine& m) {
  const StepCost c = model_step(s, ranks, m);
  std::printf("| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.3g MB, %.0f msgs |\n", name, ranks,
              c.gram.seconds(), c.factorization.seconds(), c.solve.seconds(), c.update.seconds(), c.seconds(),
              c.communication_seconds(),
              (c.residual.comm_bytes + c.gram.comm_bytes + c.factorization.comm_bytes + c.solve.comm_bytes +
               c.update.comm_bytes) / 1e6,
              c.residual.messages + c.gram.messages + c.factorization.messages + c.solve.messages + c.update.messages);
}

void scaling_row(const StepShape& s, int ranks, double t1, const Machine& m) {
  const StepCost c = model_step(s, ranks, m);
  std::printf("| %d | %d × %d | %.3g | %.3g | %.3g | %.3g | %.1f | %.0f %% |\n", ranks, c.grid_rows, c.grid_cols,
              c.compute_seconds(), c.solve_seconds(), c.communication_seconds(), c.seconds(), t1 / c.seconds(),
              100.0 * t1 / c.seconds() / ranks);
}

}  // namespace

int main() {
  const Machine m = reference_machine();
  std::printf("## phases (seconds) of the measured shapes\n\n");
  std::printf("| shape | ranks | gram | factorization | solve | update | step | of which communication | per rank |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (int r : {1, 2, 4}) phases("784-250-10, n = 200 (N = 2 000)", mlp({784, 250, 10}, 200), r, m);
  for (int r : {1, 2}) phases("784-250-10, n = 400 (N = 4 000)", mlp({784, 250, 10}, 400), r, m);
  for (int r : {1, 2}) phases("784-200-200-10, n = 200 (N = 2 000)", mlp({784, 200, 200, 10}, 200), r, m);
  for (std::size_t n : {200, 2000, 20000}) {
    const StepShape s = mlp({784, 250, 10}, n);
    std::printf("\n## strong scaling, 784-250-10, n = %zu, N = %zu (LM)\n\n", n, n * 10);
    std::printf("| ranks | grid | compute s | solve s | communication s | step s | speed-up | efficiency |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    const double t1 = model_step(s, 1, m).seconds();
    for (int r = 1; r <= 1024; r *= 2) scaling_row(s, r, t1, m);
  }
  std::printf("\n## weak scaling, 784-250-10, K per rank fixed: N = 2 000·√R (n = 200·√R)\n\n");
  std::printf("| ranks | N | grid | compute s | solve s | communication s | step s | t / t(1 rank) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  const double t1 = model_step(mlp({784, 250, 10}, 200), 1, m).seconds();
  for (int r = 1; r <= 1024; r *= 2) {
    const auto n = static_cast<std::size_t>(std::lround(200.0 * std::sqrt(double(r))));
    const StepCost c = model_step(mlp({784, 250, 10}, n), r, m);
    std::printf("| %d | %zu | %d × %d | %.3g | %.3g | %.3g | %.3g | %.2f |\n", r, n * 10, c.grid_rows, c.grid_cols,
                c.compute_seconds(), c.solve_seconds(), c.communication_seconds(), c.seconds(), c.seconds() / t1);
  }
  std::printf("\n## one node (%.0f GiB): largest N with K and its factor (LM) %.0f, with eigenvectors too (GN) %.0f\n",
              m.memory_per_node / 1073741824.0, largest_rows_on_one_node(false, m), largest_rows_on_one_node(true, m));
  return 0;
}
