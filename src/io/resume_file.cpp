#include "pgdx/io/resume_file.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "pgdx/io/checkpoint_file.hpp"
#include "pgdx/io/h5_file.hpp"
#include "pgdx/util/errors.hpp"

namespace pgdx::io {
namespace {

// The record rows of `group` (a group with a step column) up to `step`, appended to `target`.
void copy_record_group(const H5File& source, H5File& target, const std::string& group, long step,
                       const std::optional<std::map<std::string, H5File::RowDigest>>& vouched) {
  const auto steps = source.read_integers_unverified(group + "/step");
  const auto keep = static_cast<std::uint64_t>(
      std::count_if(steps.begin(), steps.end(), [&](std::int64_t s) { return s <= step; }));
  for (const std::string& name : source.list(group)) {
    const std::string path = group + "/" + name;
    if (!source.extendible(path)) {
      target.copy_object_from(source, path, path);  // an axis
      continue;
    }
    if (!vouched) source.read_back(path);  // a checkpoint without digests: the rows must verify as they are
    const H5File::RowDigest copied = target.copy_rows_from(source, path, keep);
    if (!vouched) continue;
    const auto expected = vouched->find(path);
    if (copied == (expected == vouched->end() ? H5File::RowDigest{} : expected->second)) continue;
    throw DataError(source.path(), path + ": the rows recorded up to the checkpoint (step " + std::to_string(step) +
                                       ") are damaged");
  }
}

}  // namespace

long rebuild_for_resume(const std::string& source_path, const std::string& target_path) {
  namespace fs = std::filesystem;
  const std::string scratch = target_path + ".rebuild";
  long step = -1;
  try {
    H5File source(source_path, H5File::Mode::read_only);
    const std::string checkpoint = checkpoint_group(source);
    if (checkpoint.empty()) throw DataError(source_path, "no whole /checkpoint to resume from");
    step = static_cast<long>(source.read_integers(checkpoint + "/step").at(0));
    const auto vouched = checkpoint_row_digests(source);
    H5File target(scratch, H5File::Mode::create_truncate);
    target.copy_attributes_from(source);
    for (const std::string& top : source.list("/")) {
      const std::string path = "/" + top;
      if (top == "checkpoint" || top == "checkpoint_next") continue;
      if (source.exists(path + "/step") && !source.extendible(path))
        copy_record_group(source, target, path, step, vouched);
      else
        target.copy_object_from(source, path, path);
    }
    target.copy_object_from(source, checkpoint, "/checkpoint");
    target.set_attribute("status", std::string("running"));
    target.set_attribute("resumed_from_step", static_cast<std::int64_t>(step));
    target.close();
  } catch (...) {
    std::error_code ignored;
    fs::remove(scratch, ignored);
    throw;
  }
  fs::rename(scratch, target_path);
  if (source_path != target_path) fs::remove(source_path);
  return step;
}

}  // namespace pgdx::io
