#include "pgdx/io/run_writer.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "pgdx/util/errors.hpp"

namespace pgdx::io {

namespace fs = std::filesystem;

RunWriter::RunWriter(const std::string& directory, const std::string& name) {
  fs::create_directories(directory.empty() ? "." : directory);
  const fs::path base = fs::path(directory.empty() ? "." : directory) / name;
  partial_path_ = base.string() + ".h5.partial";
  final_path_ = base.string() + ".h5";
  file_ = std::make_unique<H5File>(partial_path_, H5File::Mode::create_truncate);
  file_->set_attribute("status", std::string("running"));
  last_flush_ = std::chrono::steady_clock::now();
}

std::unique_ptr<RunWriter> RunWriter::reopen(const std::string& directory, const std::string& name) {
  std::unique_ptr<RunWriter> w(new RunWriter());
  const fs::path base = fs::path(directory.empty() ? "." : directory) / name;
  w->partial_path_ = base.string() + ".h5.partial";
  w->final_path_ = base.string() + ".h5";
  w->file_ = std::make_unique<H5File>(w->partial_path_, H5File::Mode::read_write);
  w->file_->adopt_row_digests();  // the next checkpoint vouches for the rows from the first
  w->file_->set_attribute("status", std::string("running"));
  w->last_flush_ = std::chrono::steady_clock::now();
  return w;
}

RunWriter::~RunWriter() {
  if (!file_) return;
  try {
    flush();
    file_->close();
  } catch (...) {
    // Destructors do not throw; the .partial file says the run did not finish.
  }
}

void RunWriter::record(const Record& record) {
  integers_["/history/step"].push_back(record.step);
  for (const auto& [name, value] : record.integers) integers_["/history/" + name].push_back(value);
  for (const auto& [name, value] : record.reals) reals_["/history/" + name].push_back(value);
  // Several series of one group share its step column: one entry per group and record.
  std::set<std::string> groups_seen;
  auto group_step = [&](const std::string& name) {
    const std::string group = name.substr(0, name.rfind('/'));
    if (groups_seen.insert(group).second) row_steps_["/" + group + "/step"].push_back(record.step);
  };
  for (const auto& [name, row] : record.rows) {
    Series& s = rows_["/" + name];
    if (s.width == 0) s.width = row.size();
    if (row.size() != s.width) throw std::logic_error("RunWriter: row width of " + name + " changed");
    s.values.insert(s.values.end(), row.begin(), row.end());
    group_step(name);
  }
  for (const auto& [name, value] : record.scalars) {
    reals_["/" + name].push_back(value);
    group_step(name);
  }
  ++buffered_;
  const auto now = std::chrono::steady_clock::now();
  if (buffered_ >= 256 || now - last_flush_ > std::chrono::seconds(5)) flush();
}

void RunWriter::ensure_space(std::uint64_t bytes) const {
  if (std::getenv("PGDX_TEST_SKIP_SPACE_CHECK")) return;  // fault injection: let HDF5 meet ENOSPC itself
  struct statvfs fs_info {};
  if (statvfs(partial_path_.c_str(), &fs_info) != 0) return;  // no answer: let the write tell
  const double available = static_cast<double>(fs_info.f_bavail) * static_cast<double>(fs_info.f_frsize);
  // Room for the data twice over (HDF5 may write a chunk before freeing the old one) plus its own
  // metadata (B-tree nodes, heaps: a few kB per dataset).
  const double needed = 2.0 * static_cast<double>(bytes) + 256.0 * 1024.0;
  if (available < needed) {
    char detail[128];
    std::snprintf(detail, sizeof detail, " (%.0f kB free, about %.0f kB needed)", available / 1024.0, needed / 1024.0);
    throw IoError(partial_path_ + ": " + std::strerror(ENOSPC) + detail);
  }
}

void RunWriter::abandon() {
  if (!file_) return;
  try {
    file_->close();
  } catch (...) {
    // The file is already damaged or gone; nothing more can be saved.
  }
  file_.reset();
}

void RunWriter::flush() {
  if (!file_) return;
  std::uint64_t bytes = 0;
  for (const auto& [path, values] : integers_) bytes += 8 * values.size();
  for (const auto& [path, values] : reals_) bytes += 8 * values.size();
  for (const auto& [path, series] : rows_) bytes += 8 * series.values.size();
  for (const auto& [path, values] : row_steps_) bytes += 8 * values.size();
  if (bytes > 0) ensure_space(bytes);
  for (auto& [path, values] : integers_) {
    file_->append(path, values);
    values.clear();
  }
  for (auto& [path, values] : reals_) {
    file_->append(path, values);
    values.clear();
  }
  for (auto& [path, series] : rows_) {
    file_->append_rows(path, series.values, series.width);
    series.values.clear();
  }
  for (auto& [path, values] : row_steps_) {
    file_->append(path, values);
    values.clear();
  }
  buffered_ = 0;
  last_flush_ = std::chrono::steady_clock::now();
  file_->flush();
}

void RunWriter::finish(const std::string& status, const std::string& message) {
  flush();
  file_->set_attribute("status", status);
  file_->set_attribute("message", message);
  file_->close();
  file_.reset();
  fs::rename(partial_path_, final_path_);
}

}  // namespace pgdx::io
