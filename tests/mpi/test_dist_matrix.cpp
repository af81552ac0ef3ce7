// ScaLAPACK (several ranks) against LAPACK on the whole matrix (this rank alone), for sizes that
// are not multiples of the block size.
#include <catch2/catch.hpp>

#include "pgdx/parallel/dist_matrix.hpp"
#include "test_support.hpp"

using namespace pgdx;

namespace {

// Symmetric positive definite n × n, the same on every rank (same seed).
linalg::Matrix spd(int n, std::uint64_t seed, double shift) {
  Rng rng(seed, 7);
  const auto b = test::random_matrix(static_cast<std::size_t>(n), static_cast<std::size_t>(n), rng);
  linalg::Matrix a(static_cast<std::size_t>(n), static_cast<std::size_t>(n));
  linalg::gemm(linalg::Op::none, linalg::Op::transpose, 1.0, b, b, 0.0, a);
  for (int i = 0; i < n; ++i) a(static_cast<std::size_t>(i), static_cast<std::size_t>(i)) += shift;
  return a;
}

// Distributes the LOWER triangle only (the upper stays 0), as the Gram producers do.
parallel::DistMatrix distribute_lower(const linalg::Matrix& a, const std::shared_ptr<const parallel::BlacsGrid>& grid,
                                  int block) {
  parallel::DistMatrix d(grid, static_cast<int>(a.rows()), static_cast<int>(a.cols()), block);
  for (int jl = 0; jl < d.local_cols(); ++jl)
    for (int il = 0; il < d.local_rows(); ++il) {
      const auto gi = static_cast<std::size_t>(d.global_row(il)), gj = static_cast<std::size_t>(d.global_col(jl));
      d.local(il, jl) = gi >= gj ? a(gi, gj) : 0.0;
    }
  return d;
}

}  // namespace

TEST_CASE("distributed Cholesky solve equals the LAPACK solve", "[mpi][parallel]") {
  const auto world = parallel::Comm::world();
  const auto grid = parallel::make_grid(world);
  for (int n : {1, 37, 100, 130})
    for (int block : {8, 16, 64}) {
      const auto a = spd(n, static_cast<std::uint64_t>(n), 0.5);
      Rng rng(3, static_cast<std::uint64_t>(n));
      const auto b = test::random_vector(static_cast<std::size_t>(n), rng);
      auto d = distribute_lower(a, grid, block);
      REQUIRE(parallel::cholesky_factor(d) == 0);
      auto x = b;
      parallel::cholesky_solve(d, x);
      auto reference_factor = a;
      REQUIRE(linalg::cholesky_factor(reference_factor) == 0);
      auto reference = b;
      linalg::cholesky_solve(reference_factor, reference);
      INFO("n " << n << ", block " << block << ", ranks " << world.size());
      CHECK(test::relative_difference(x, reference) < 1e-12);
    }
}

TEST_CASE("distributed Cholesky reports a matrix that is not positive definite", "[mpi][parallel]") {
  const auto grid = parallel::make_grid(parallel::Comm::world());
  auto a = spd(50, 5, 0.0);
  a(30, 30) = -100.0;
  auto d = distribute_lower(a, grid, 16);
  CHECK(parallel::cholesky_factor(d) > 0);
}

TEST_CASE("distributed eigen-decomposition equals LAPACK's", "[mpi][parallel]") {
  const auto grid = parallel::make_grid(parallel::Comm::world());
  for (auto [n, block] : {std::pair<int, int>{37, 16}, {100, 16}, {100, 64}, {37, 64}, {130, 32}}) {
    INFO("n " << n << ", block " << block);
    const auto a = spd(n, 11, 1e-3);
    auto d = distribute_lower(a, grid, block);
    parallel::DistMatrix vectors;
    std::vector<double> w;
    parallel::symmetric_eigen(d, vectors, w);
    auto m = a;
    std::vector<double> w_ref;
    linalg::symmetric_eigen(m, w_ref);
    CHECK(test::relative_difference(w, w_ref) < 1e-12);
    // Eigenvectors up to sign: compare the projector onto the top eigenvector and A·v = λ·v.
    const auto v = parallel::gather(vectors);
    for (int k : {0, n / 2, n - 1}) {
      std::vector<double> col(v.begin() + k * n, v.begin() + (k + 1) * n);
      std::vector<double> av(static_cast<std::size_t>(n));
      linalg::gemv(linalg::Op::none, 1.0, a, col.data(), 0.0, av.data());
      for (double& x : col) x *= w[static_cast<std::size_t>(k)];
      CHECK(test::max_abs_diff(av, col) < 1e-10 * w.back());
    }
  }
}

TEST_CASE("distributed symmetric and general matrix-vector products equal dense ones", "[mpi][parallel]") {
  const auto grid = parallel::make_grid(parallel::Comm::world());
  const int n = 45;
  const auto a = spd(n, 13, 0.0);
  Rng rng(4, 4);
  const auto x = test::random_vector(static_cast<std::size_t>(n), rng);
  std::vector<double> reference(static_cast<std::size_t>(n));
  linalg::gemv(linalg::Op::none, 1.0, a, x.data(), 0.0, reference.data());
  std::vector<double> y;
  parallel::symmetric_multiply(distribute_lower(a, grid, 8), x, y);
  CHECK(test::relative_difference(y, reference) < 1e-13);
  // A general (non-symmetric) matrix: all entries distributed.
  const auto g = test::random_matrix(static_cast<std::size_t>(n), static_cast<std::size_t>(n), rng);
  parallel::DistMatrix dg(grid, n, n, 8);
  for (int jl = 0; jl < dg.local_cols(); ++jl)
    for (int il = 0; il < dg.local_rows(); ++il)
      dg.local(il, jl) = g(static_cast<std::size_t>(dg.global_row(il)), static_cast<std::size_t>(dg.global_col(jl)));
  std::vector<double> gx(static_cast<std::size_t>(n)), gtx(static_cast<std::size_t>(n));
  linalg::gemv(linalg::Op::none, 1.0, g, x.data(), 0.0, gx.data());
  linalg::gemv(linalg::Op::transpose, 1.0, g, x.data(), 0.0, gtx.data());
  parallel::multiply(dg, false, x, y);
  CHECK(test::relative_difference(y, gx) < 1e-13);
  parallel::multiply(dg, true, x, y);
  CHECK(test::relative_difference(y, gtx) < 1e-13);
  dg.fill(0.0);
  dg.add_to_diagonal(2.0);
  parallel::multiply(dg, false, x, y);
  for (int i = 0; i < n; ++i) CHECK(y[static_cast<std::size_t>(i)] == 2.0 * x[static_cast<std::size_t>(i)]);
}
