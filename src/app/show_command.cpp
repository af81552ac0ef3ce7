#include "show_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "pgdx/io/checkpoint_file.hpp"
#include "pgdx/io/h5_file.hpp"
#include "pgdx/io/run_file_check.hpp"
#include "pgdx/io/run_lock.hpp"
#include "pgdx/util/errors.hpp"
#include "postprocess_hint.hpp"

namespace pgdx::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPartialSuffix = ".partial";
// The /history columns of the final metrics, in the order they are printed, when the run has them.
constexpr const char* kFinalMetrics[] = {"train_loss", "test_loss", "train_acc", "test_acc", "l2_error"};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// H5File's messages begin with the file's path; what follows it, on one line (HDF5's own
// descriptions may hold line breaks).
std::string reason_of(const std::exception& e, const std::string& path) {
  std::string text = e.what();
  if (text.rfind(path + ": ", 0) == 0) text.erase(0, path.size() + 2);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::string number(double value) {
  if (std::isnan(value)) return "nan";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// numpy's (and h5py's) spelling of a shape: (31,), (31, 2), () for a scalar.
std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

std::string reached_at(std::int64_t step) { return step < 0 ? "never" : "at step " + std::to_string(step); }

class Report {
 public:
  void line(const std::string& label, const std::string& value) {
    char head[32];
    std::snprintf(head, sizeof head, "%-12s ", label.c_str());
    text_ << head << value << "\n";
  }
  void indented(const std::string& value) { text_ << (value.empty() ? "" : "  ") << value << "\n"; }
  std::string str() const { return text_.str(); }

 private:
  std::ostringstream text_;
};

// Reads one run file into a Report; any failure to read throws (run_show makes it one line).
class Shower {
 public:
  Shower(std::string path, const io::H5File& file) : path_(std::move(path)), file_(file) {}

  std::string report() {
    Report r;
    r.line("file", path_);
    r.line("status", status());
    r.line("run", text("run_name"));
    r.line("task", text("task"));
    r.line("optimizer", text("optimizer"));
    r.line("seed", std::to_string(integer("seed")));
    r.line("job", text("config_file"));
    const std::string overrides = text("overrides");
    if (!overrides.empty()) r.line("overrides", set_options(overrides));
    r.line("version", "pgdx " + text("pgdx_version") + ", commit " + text("git_commit"));
    r.line("ranks", std::to_string(integer("ranks")));
    r.line("started", text("started_at"));
    if (file_.has_attribute("blas_core")) r.line("blas", text("blas_core"));
    r.line("size", std::to_string(integer("num_params")) + " parameters, " + std::to_string(integer("num_train")) +
                       " training samples, " + std::to_string(integer("num_outputs")) + " output(s) each");
    if (file_.has_attribute("steps_completed"))
      r.line("steps", std::to_string(integer("steps_completed")) + " in " + number(real("wall_seconds")) + " s");
    if (file_.has_attribute("resumed_from_step"))
      r.line("resumed", "from step " + std::to_string(integer("resumed_from_step")));
    if (file_.has_attribute("budget_changes")) r.line("budget", text("budget_changes"));
    r.line(running_ ? "last" : "final", final_metrics());
    if (file_.has_attribute("grokking_delay")) r.line("grokking", grokking());
    phases(r);
    if (finished_) {
      const std::string command = postprocess_command(text("config_file"), path_);
      if (!command.empty()) r.line("post-process", command);
    }
    r.line("config", "(stored: the job file with every --set)");
    std::istringstream config(text("config"));
    for (std::string row; std::getline(config, row);) r.indented(row);
    const std::vector<std::string> datasets = file_.datasets();
    r.line("datasets", std::to_string(datasets.size()));
    for (const std::string& dataset : datasets)
      r.indented(dataset + std::string(dataset.size() < 44 ? 44 - dataset.size() : 1, ' ') +
                 shape_text(file_.shape(dataset)));
    return r.str();
  }

 private:
  std::string text(const char* name) const { return file_.has_attribute(name) ? file_.string_attribute(name) : "?"; }
  std::int64_t integer(const char* name) const {
    if (!file_.has_attribute(name)) throw DataError(path_, "attribute " + std::string(name) + " is missing");
    return file_.integer_attribute(name);
  }
  double real(const char* name) const { return file_.has_attribute(name) ? file_.real_attribute(name) : NAN; }

  // "a=1;b=2" as the command line gave it: "--set a=1 --set b=2".
  static std::string set_options(const std::string& overrides) {
    std::string out;
    std::istringstream parts(overrides);
    for (std::string part; std::getline(parts, part, ';');) out += (out.empty() ? "--set " : " --set ") + part;
    return out;
  }

  // What sweeps and --resume would conclude (io::check_run_file), or for a file still called
  // .partial, whether a process holds its run lock.
  std::string status() {
    const std::string recorded = text("status");
    if (recorded == "running") {
      running_ = true;
      const std::string suffix = kPartialSuffix;
      const std::string final_path = ends_with(path_, suffix) ? path_.substr(0, path_.size() - suffix.size()) : path_;
      if (const auto holder = io::probe_run_lock(final_path + ".lock")) return "running (" + holder->describe() + ")";
      std::string out = "stopped: no process is running it (killed or crashed before it finished)";
      if (const std::string group = io::checkpoint_group(file_); !group.empty())
        out += "; checkpoint at step " + std::to_string(file_.read_integers(group + "/step").at(0)) +
               ", `pgdx train JOB --resume` continues it";
      return out;
    }
    const io::RunFileCheck check = io::check_run_file(path_);
    if (check.state == io::RunFileState::corrupt) throw DataError(path_, "corrupt: " + check.reason);
    finished_ = check.state != io::RunFileState::interrupted;
    std::string out = io::to_string(check.state);
    if (const std::string message = file_.has_attribute("message") ? text("message") : ""; !message.empty())
      out += ": " + message;
    if (check.state == io::RunFileState::interrupted) out += "; `pgdx train JOB --resume` continues it";
    return out;
  }

  // The last /history row: step and every metric column the run has.
  std::string final_metrics() const {
    // A running file gets its records in batches (io/run_writer.hpp): none may be on disk yet.
    const std::vector<std::int64_t> steps =
        file_.exists("/history/step") ? file_.read_integers("/history/step") : std::vector<std::int64_t>{};
    if (steps.empty()) return "no records on disk yet";
    std::string out = "step " + std::to_string(steps.back());
    for (const char* metric : kFinalMetrics) {
      const std::string dataset = std::string("/history/") + metric;
      if (!file_.exists(dataset)) continue;
      const std::vector<double> values = file_.read_reals(dataset);
      // A column that is NaN throughout is a quantity the task does not have (test_loss without a test set).
      if (std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v); })) continue;
      out += std::string("  ") + metric + " " + (values.size() == steps.size() ? number(values.back()) : "?");
    }
    return out;
  }

  // The root attributes a classification run ends with (docs/hdf5-layout.md).
  std::string grokking() const {
    const std::int64_t delay = integer("grokking_delay");
    return "train_acc >= 0.99 " + reached_at(integer("train_acc_99_step")) + ", test_acc >= " +
           number(real("test_acc_threshold")) + " " + reached_at(integer("test_acc_threshold_step")) + ", delay " +
           (delay < 0 ? "none" : std::to_string(delay) + " steps");
  }

  // "0 lm: steps 1-2000" per phase of a [[phase]] run; a phase its `until` test ended says so.
  void phases(Report& r) const {
    if (!file_.exists("/phases/end_step")) return;
    const std::vector<std::int64_t> ends = file_.read_integers("/phases/end_step");
    const std::vector<std::int64_t> planned =
        file_.exists("/phases/planned_end_step") ? file_.read_integers("/phases/planned_end_step") : ends;
    std::vector<std::string> methods;
    std::istringstream parts(text("optimizer"));
    for (std::string method; std::getline(parts, method, '+');) methods.push_back(method);
    std::int64_t first = 1;
    for (std::size_t i = 0; i < ends.size(); ++i) {
      std::string phase = std::to_string(i) + " " + (i < methods.size() ? methods[i] : "?") + ": steps " +
                          std::to_string(first) + "-" + std::to_string(ends[i]);
      if (i < planned.size() && planned[i] != ends[i]) phase += " (planned " + std::to_string(planned[i]) + ")";
      const std::string ended_by = "phase_" + std::to_string(i) + "_ended_by";
      if (file_.has_attribute(ended_by)) phase += ", ended by " + file_.string_attribute(ended_by);
      r.line(i == 0 ? "phases" : "", phase);
      first = ends[i] + 1;
    }
  }

  std::string path_;
  const io::H5File& file_;
  bool finished_ = false;  // completed or diverged: there is something to draw
  bool running_ = false;   // status `running`: a .partial file, its run alive or dead
};

// One attempt at the whole report: opening, checking it is ours, reading.
std::string read_report(const std::string& path) {
  std::unique_ptr<io::H5File> file;
  try {
    file = std::make_unique<io::H5File>(path, io::H5File::Mode::read_only);
  } catch (const std::exception& e) {
    throw DataError(path, "not an HDF5 file (" + reason_of(e, path) + ")");
  }
  try {
    if (!file->has_attribute("format") || file->string_attribute("format") != "pgdx-run")
      throw DataError(path, "not a pgdx run file (its attribute format is not 'pgdx-run')");
    if (file->integer_attribute("format_version") != 1)
      throw DataError(path, "format_version " + std::to_string(file->integer_attribute("format_version")) +
                                " is not one this pgdx reads (1)");
    return Shower(path, *file).report();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw DataError(path, "cannot be read: " + reason_of(e, path));
  }
}

}  // namespace

int run_show(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw DataError(path, "no such file");
  if (fs::is_directory(path, error)) throw DataError(path, "is a directory, not a run file");
  const bool partial = ends_with(path, kPartialSuffix);
  // The run writing a .partial file holds HDF5's lock on it, which would refuse even a reader: read
  // it unlocked (as postprocess does), and try again a few times, since a read can meet a record
  // half-written. This process only reads, so switching HDF5's locking off for it is safe.
  if (partial) setenv("HDF5_USE_FILE_LOCKING", "FALSE", /*overwrite=*/1);
  const int attempts = partial ? 3 : 1;
  for (int attempt = 1;; ++attempt) {
    try {
      // Whole or not at all: a failure leaves just its one line.
      std::fputs(read_report(path).c_str(), stdout);
      return 0;
    } catch (const InputError&) {
      if (attempt >= attempts) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

}  // namespace pgdx::app
