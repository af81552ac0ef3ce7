#include "pgdx/io/run_file_check.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "pgdx/io/h5_file.hpp"

namespace pgdx::io {
namespace {

struct Corrupt {
  std::string reason;
};

[[noreturn]] void corrupt(const std::string& reason) { throw Corrupt{reason}; }

// H5File's messages begin with the file's path; the reason says only what is wrong inside the file,
// on one line (HDF5's descriptions may hold line breaks).
std::string inner_message(const std::exception& e, const std::string& path) {
  std::string text = e.what();
  if (text.rfind(path + ": ", 0) == 0) text.erase(0, path.size() + 2);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// Runs `read`; any failure becomes the reason "WHAT: <what HDF5 said>".
template <class Read>
auto guarded(const std::string& what, const std::string& path, Read&& read) {
  try {
    return read();
  } catch (const Corrupt&) {
    throw;
  } catch (const std::exception& e) {
    corrupt(what + ": " + inner_message(e, path));
  }
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

class Checker {
 public:
  explicit Checker(const std::string& path) : path_(path) {}

  RunFileState run() {
    file_ = guarded("cannot be opened as HDF5", path_,
                    [&] { return std::make_unique<H5File>(path_, H5File::Mode::read_only); });
    const RunFileState state = final_status();
    // Damage first: a flipped bit must be reported as such, not as whatever structure it breaks.
    for (const std::string& dataset : guarded("cannot list its datasets", path_, [&] { return file_->datasets(); }))
      guarded("dataset " + dataset + " does not read back", path_, [&] { file_->read_back(dataset); });
    const std::int64_t num_params = integer("num_params");
    for (const char* params : {"/init/params", "/final/params"})
      if (shape(params) != std::vector<std::uint64_t>{static_cast<std::uint64_t>(num_params)})
        corrupt("dataset " + std::string(params) + " has shape " + shape_text(shape(params)) +
                ", attribute num_params is " + std::to_string(num_params));
    const std::vector<std::int64_t> steps = integers("/history/step");
    if (steps.empty()) corrupt("dataset /history/step is empty");
    same_rows("/history", steps.size());
    // Every status records its last step (completed: the last; diverged: the non-finite one) except
    // interrupted, which may stop between records but then checkpointed the step it stopped after.
    const std::int64_t steps_completed = integer("steps_completed");
    const bool interrupted = state == RunFileState::interrupted;
    if (steps.back() != steps_completed && !(interrupted && steps.back() < steps_completed))
      corrupt("dataset /history/step ends at step " + std::to_string(steps.back()) +
              ", attribute steps_completed is " + std::to_string(steps_completed));
    if (interrupted && integers("/checkpoint/step") != std::vector<std::int64_t>{steps_completed})
      corrupt("dataset /checkpoint/step is not [" + std::to_string(steps_completed) +
              "], the attribute steps_completed of this interrupted run");
    for (const std::string& top : file_->list("/")) {
      const std::string group = "/" + top;
      if (group != "/history" && file_->exists(group + "/step")) same_rows(group, shape(group + "/step").at(0));
    }
    return state;
  }

 private:
  RunFileState final_status() {
    if (!file_->has_attribute("status")) corrupt("attribute status is missing");
    const std::string status = guarded("attribute status", path_, [&] { return file_->string_attribute("status"); });
    for (RunFileState state : {RunFileState::completed, RunFileState::diverged, RunFileState::interrupted})
      if (status == to_string(state)) return state;
    corrupt("attribute status is '" + status + "', not a final status");
  }

  std::int64_t integer(const std::string& name) {
    if (!file_->has_attribute(name)) corrupt("attribute " + name + " is missing");
    return guarded("attribute " + name, path_, [&] { return file_->integer_attribute(name); });
  }

  std::vector<std::uint64_t> shape(const std::string& dataset) {
    if (!file_->exists(dataset)) corrupt("dataset " + dataset + " is missing");
    return guarded("dataset " + dataset, path_, [&] { return file_->shape(dataset); });
  }

  std::vector<std::int64_t> integers(const std::string& dataset) {
    if (!file_->exists(dataset)) corrupt("dataset " + dataset + " is missing");
    return guarded("dataset " + dataset, path_, [&] { return file_->read_integers(dataset); });
  }

  // The group's extendible (per-record) datasets all hold `rows` rows; fixed axes are exempt.
  void same_rows(const std::string& group, std::uint64_t rows) {
    for (const std::string& name : file_->list(group)) {
      const std::string dataset = group + "/" + name;
      if (!file_->extendible(dataset)) continue;
      const std::uint64_t have = shape(dataset).at(0);
      if (have != rows)
        corrupt("dataset " + dataset + " has " + std::to_string(have) + " rows, " + group + "/step has " +
                std::to_string(rows));
    }
  }

  std::string path_;
  std::unique_ptr<H5File> file_;
};

}  // namespace

std::string to_string(RunFileState state) {
  switch (state) {
    case RunFileState::completed: return "completed";
    case RunFileState::diverged: return "diverged";
    case RunFileState::interrupted: return "interrupted";
    case RunFileState::corrupt: return "corrupt";
  }
  return "corrupt";
}

RunFileCheck check_run_file(const std::string& path) {
  try {
    return {Checker(path).run(), ""};
  } catch (const Corrupt& c) {
    return {RunFileState::corrupt, c.reason};
  } catch (const std::exception& e) {
    return {RunFileState::corrupt, inner_message(e, path)};
  }
}

}  // namespace pgdx::io
