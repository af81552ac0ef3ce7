// HDF5 layer: attribute and dataset round trips, extendible appends, the .partial → .h5 rename.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pgdx/io/h5_file.hpp"
#include "pgdx/io/run_writer.hpp"
#include "scratch_dir.hpp"

using namespace pgdx;
namespace fs = std::filesystem;

TEST_CASE("H5File round-trips attributes, fixed datasets and appended columns", "[io][hdf5]") {
  const auto dir = test::fresh_dir("h5");
  const std::string path = (dir / "a.h5").string();
  {
    io::H5File f(path, io::H5File::Mode::create_truncate);
    f.set_attribute("text", std::string("line one\nline two"));
    f.set_attribute("empty", std::string());
    f.set_attribute("x", 2.5);
    f.set_attribute("n", std::int64_t{-7});
    f.write("/group/sub/values", std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
    f.write("/ints", std::vector<std::int64_t>{4, 5}, {2});
    f.append("/history/loss", std::vector<double>{0.5, 0.25});
    f.append("/history/loss", std::vector<double>{0.125});
    f.append("/history/step", std::vector<std::int64_t>{0, 1, 2});
    f.append_rows("/spectral/e", std::vector<double>{1, 2, 3, 4, 5, 6}, 3);
    f.append_rows("/spectral/e", std::vector<double>{7, 8, 9}, 3);
    f.set_attribute("x", 3.5);  // overwrite
  }
  io::H5File f(path, io::H5File::Mode::read_only);
  CHECK(f.string_attribute("text") == "line one\nline two");
  CHECK(f.string_attribute("empty").empty());
  CHECK(f.real_attribute("x") == 3.5);
  CHECK(f.integer_attribute("n") == -7);
  CHECK(f.read_reals("/group/sub/values") == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(f.shape("/group/sub/values") == std::vector<std::uint64_t>{2, 3});
  CHECK(f.read_integers("/ints") == std::vector<std::int64_t>{4, 5});
  CHECK(f.read_reals("/history/loss") == std::vector<double>{0.5, 0.25, 0.125});
  CHECK(f.read_integers("/history/step") == std::vector<std::int64_t>{0, 1, 2});
  CHECK(f.shape("/spectral/e") == std::vector<std::uint64_t>{3, 3});
  CHECK(f.read_reals("/spectral/e") == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(f.exists("/history/loss"));
  CHECK_FALSE(f.exists("/nope/deeper"));
  fs::remove_all(dir);
}

TEST_CASE("H5File reports a file that is not HDF5 with its name", "[io][hdf5]") {
  const auto dir = test::fresh_dir("bad");
  const std::string path = (dir / "not.h5").string();
  { std::ofstream(path) << "definitely not hdf5"; }
  CHECK_THROWS_WITH(io::H5File(path, io::H5File::Mode::read_only), Catch::Contains(path));
  fs::remove_all(dir);
}

TEST_CASE("RunWriter keeps .h5.partial until finish(), then renames, and records append in order", "[io][hdf5]") {
  const auto dir = test::fresh_dir("writer");
  {
    io::RunWriter w(dir.string(), "run");
    CHECK(fs::exists(dir / "run.h5.partial"));
    for (long s = 0; s < 300; ++s) {  // crosses the 256-record flush boundary
      Record r;
      r.step = s;
      r.reals.emplace_back("train_loss", 1.0 / double(s + 1));
      r.integers.emplace_back("attempts", s % 3);
      r.rows.emplace_back("spectral/fft_error", std::vector<double>{double(s), double(2 * s)});
      w.record(r);
    }
    w.finish("completed", "");
  }
  CHECK_FALSE(fs::exists(dir / "run.h5.partial"));
  io::H5File f((dir / "run.h5").string(), io::H5File::Mode::read_only);
  CHECK(f.string_attribute("status") == "completed");
  const auto steps = f.read_integers("/history/step");
  REQUIRE(steps.size() == 300);
  CHECK(steps[299] == 299);
  CHECK(f.read_reals("/history/train_loss")[9] == 0.1);
  CHECK(f.read_integers("/history/attempts")[5] == 2);
  CHECK(f.shape("/spectral/fft_error") == std::vector<std::uint64_t>{300, 2});
  CHECK(f.read_reals("/spectral/fft_error")[2 * 299 + 1] == 598.0);
  CHECK(f.read_integers("/spectral/step").size() == 300);
  fs::remove_all(dir);
}

TEST_CASE("a RunWriter destroyed without finish() leaves only the .partial file, status running", "[io][hdf5]") {
  const auto dir = test::fresh_dir("crash");
  {
    io::RunWriter w(dir.string(), "run");
    Record r;
    r.reals.emplace_back("train_loss", 1.0);
    w.record(r);
  }
  CHECK_FALSE(fs::exists(dir / "run.h5"));
  REQUIRE(fs::exists(dir / "run.h5.partial"));
  io::H5File f((dir / "run.h5.partial").string(), io::H5File::Mode::read_only);
  CHECK(f.string_attribute("status") == "running");
  CHECK(f.read_reals("/history/train_loss") == std::vector<double>{1.0});
  fs::remove_all(dir);
}
