// io::check_run_file: a whole file passes; damaged data (one flipped bit anywhere), a truncated
// file and short or missing datasets are `corrupt` with a reason naming what is wrong.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pgdx/io/h5_file.hpp"
#include "pgdx/io/run_file_check.hpp"
#include "pgdx/io/run_writer.hpp"
#include "scratch_dir.hpp"

using namespace pgdx;
namespace fs = std::filesystem;

namespace {

constexpr long kSteps = 20;
constexpr std::uint64_t kParams = 7;

// A run file as RunFile writes one (docs/hdf5-layout.md): root attributes, fixed datasets and
// axes, history and spectral rows recorded every `record_every` steps and at the last one.
std::string write_run(const fs::path& dir, const std::string& status = "completed", long steps = kSteps,
                      long record_every = 1, bool steps_completed = true) {
  io::RunWriter w(dir.string(), "run");
  io::H5File& f = w.file();
  f.set_attribute("format", std::string("pgdx-run"));
  f.set_attribute("num_params", static_cast<std::int64_t>(kParams));
  f.write("/init/params", std::vector<double>(kParams, 0.5), {kParams});
  f.write("/data/train_x", std::vector<double>{0.0, 0.25, 0.5, 0.75}, {4, 1});
  f.write("/spectral/modes", std::vector<std::int64_t>{0, 1, 2}, {3});
  for (long s = 0; s <= steps; ++s) {
    if (s % record_every != 0 && s != steps) continue;
    Record r;
    r.step = s;
    r.reals.emplace_back("train_loss", 1.0 / double(s + 1));
    r.integers.emplace_back("attempts", 1);
    r.rows.emplace_back("spectral/fft_error", std::vector<double>{double(s), 0.5, 0.25});
    w.record(r);
  }
  f.write("/final/params", std::vector<double>(kParams, 1.5), {kParams});
  if (steps_completed) f.set_attribute("steps_completed", static_cast<std::int64_t>(steps));
  w.finish(status, "");
  return (dir / "run.h5").string();
}

// Flips one bit of the byte at `offset` with plain file I/O, as a failing disk or a bad copy would.
void flip_bit(const std::string& path, std::uint64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x10);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&byte, 1);
  REQUIRE(file.good());
}

}  // namespace

TEST_CASE("a whole run file checks as its status says", "[io][check]") {
  const auto dir = test::fresh_dir("good");
  for (const char* status : {"completed", "diverged"}) {
    const io::RunFileCheck check = io::check_run_file(write_run(dir, status));
    INFO(check.reason);
    CHECK(io::to_string(check.state) == status);
    CHECK(check.reason.empty());
  }
  fs::remove_all(dir);
}

TEST_CASE("an interrupted run file may stop between records if its checkpoint is at the stop", "[io][check]") {
  const auto dir = test::fresh_dir("interrupted");
  // Stopped after step 13 with records every 5 steps: the history ends at 10, the checkpoint is 13.
  const std::string path = write_run(dir, "interrupted", 13, 5);
  {
    io::H5File f(path, io::H5File::Mode::read_write);
    f.truncate("/history/step", 3);  // the writer recorded the last step as a run's end; a stop does not
    f.truncate("/history/train_loss", 3);
    f.truncate("/history/attempts", 3);
    f.truncate("/spectral/step", 3);
    f.truncate("/spectral/fft_error", 3);
    f.write("/checkpoint/step", std::vector<std::int64_t>{13}, {1});
  }
  io::RunFileCheck check = io::check_run_file(path);
  INFO(check.reason);
  CHECK(check.state == io::RunFileState::interrupted);
  {
    io::H5File f(path, io::H5File::Mode::read_write);
    f.write("/checkpoint/step", std::vector<std::int64_t>{10}, {1});
  }
  check = io::check_run_file(path);
  CHECK(check.state == io::RunFileState::corrupt);
  CHECK_THAT(check.reason, Catch::Contains("/checkpoint/step"));
  fs::remove_all(dir);
}

TEST_CASE("every dataset pgdx writes carries a checksum: one flipped bit in any of them is corrupt", "[io][check]") {
  const auto dir = test::fresh_dir("flip");
  const std::string good = write_run(dir);
  std::vector<std::string> datasets;
  {
    io::H5File f(good, io::H5File::Mode::read_only);
    datasets = f.datasets();
  }
  REQUIRE(datasets.size() == 9);
  std::size_t flipped = 0;
  for (const std::string& dataset : datasets) {
    std::vector<io::H5File::StoredBlock> blocks;
    {
      io::H5File f(good, io::H5File::Mode::read_only);
      blocks = f.stored_blocks(dataset);
    }
    REQUIRE_FALSE(blocks.empty());
    const std::string bad = (dir / "bad.h5").string();
    fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
    flip_bit(bad, blocks.front().offset);  // the first stored byte: data, not the checksum after it
    const io::RunFileCheck check = io::check_run_file(bad);
    INFO(dataset << ": " << check.reason);
    CHECK(check.state == io::RunFileState::corrupt);
    CHECK_THAT(check.reason, Catch::Contains("dataset " + dataset + " ") && Catch::Contains("checksum"));
    flipped += check.state == io::RunFileState::corrupt;
  }
  CHECK(flipped == datasets.size());
  CHECK(io::check_run_file(good).state == io::RunFileState::completed);  // the copies were damaged, not it
  fs::remove_all(dir);
}

TEST_CASE("a truncated run file is corrupt", "[io][check]") {
  const auto dir = test::fresh_dir("truncated");
  const std::string path = write_run(dir);
  fs::resize_file(path, fs::file_size(path) / 2);
  const io::RunFileCheck check = io::check_run_file(path);
  CHECK(check.state == io::RunFileState::corrupt);
  CHECK_FALSE(check.reason.empty());
  CHECK(check.reason.find('\n') == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("short or missing datasets and attributes make a run file corrupt, named", "[io][check]") {
  const auto dir = test::fresh_dir("structure");
  struct Damage {
    const char* name;
    void (*apply)(io::H5File&);
    const char* named;
  };
  const Damage damages[] = {
      {"a history column one row short", [](io::H5File& f) { f.truncate("/history/train_loss", kSteps); },
       "/history/train_loss has 20 rows, /history/step has 21"},
      {"a spectral row missing", [](io::H5File& f) { f.truncate("/spectral/fft_error", kSteps); },
       "/spectral/fft_error has 20 rows, /spectral/step has 21"},
      {"history ending before steps_completed",
       [](io::H5File& f) { f.set_attribute("steps_completed", std::int64_t{kSteps + 1}); },
       "/history/step ends at step 20, attribute steps_completed is 21"},
      {"no final parameters", [](io::H5File& f) { f.remove("/final/params"); }, "/final/params is missing"},
      {"initial parameters of the wrong size",
       [](io::H5File& f) { f.write("/init/params", std::vector<double>(3, 0.0), {3}); }, "/init/params has shape [3]"},
      {"an empty history", [](io::H5File& f) {
         for (const char* c : {"/history/step", "/history/train_loss", "/history/attempts"}) f.truncate(c, 0);
       }, "/history/step is empty"},
      {"no history", [](io::H5File& f) { f.remove("/history"); }, "/history/step is missing"},
      {"a status that is not final", [](io::H5File& f) { f.set_attribute("status", std::string("running")); },
       "attribute status is 'running'"},
  };
  for (const Damage& damage : damages) {
    const std::string path = write_run(dir);
    {
      io::H5File f(path, io::H5File::Mode::read_write);
      damage.apply(f);
    }
    const io::RunFileCheck check = io::check_run_file(path);
    INFO(damage.name << ": " << check.reason);
    CHECK(check.state == io::RunFileState::corrupt);
    CHECK_THAT(check.reason, Catch::Contains(damage.named));
  }
  const io::RunFileCheck check = io::check_run_file(write_run(dir, "completed", kSteps, 1, false));
  CHECK(check.state == io::RunFileState::corrupt);
  CHECK(check.reason == "attribute steps_completed is missing");
  fs::remove_all(dir);
}
