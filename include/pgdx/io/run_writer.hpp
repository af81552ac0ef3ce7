#pragma once
// Writes one run file (docs/hdf5-layout.md). The file lives as NAME.h5.partial until finish()
// closes it and renames it to NAME.h5, so a crash never leaves a file that looks complete.
// Records are buffered and appended in blocks (every 256 records or 5 s).
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pgdx/io/h5_file.hpp"
#include "pgdx/util/record.hpp"

namespace pgdx::io {

class RunWriter {
 public:
  RunWriter(const std::string& directory, const std::string& name);
  // Continues NAME.h5.partial as io::rebuild_for_resume left it (cut at its checkpoint, status
  // `running`).
  static std::unique_ptr<RunWriter> reopen(const std::string& directory, const std::string& name);
  ~RunWriter();  // without finish(): flushes and closes, leaving the .partial file
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  H5File& file() { return *file_; }
  const std::string& final_path() const { return final_path_; }
  const std::string& partial_path() const { return partial_path_; }

  void record(const Record& record);
  void flush();
  // Flushes, sets status/message, closes and renames to NAME.h5.
  void finish(const std::string& status, const std::string& message);
  // Throws IoError (ENOSPC) unless the file's file system has room for about `bytes` more. Every
  // write is checked first, so a full disk stops the run between two writes, where the file is
  // whole (HDF5 files hit by ENOSPC mid-write are left unreadable, with their checkpoint).
  void ensure_space(std::uint64_t bytes) const;
  // After a failed write: closes the file without writing the buffered records, leaving the
  // .partial file as it was after its last complete flush.
  void abandon();

 private:
  RunWriter() = default;
  struct Series {
    std::uint64_t width = 0;
    std::vector<double> values;
  };
  std::unique_ptr<H5File> file_;
  std::string partial_path_;
  std::string final_path_;
  std::map<std::string, std::vector<std::int64_t>> integers_;
  std::map<std::string, std::vector<double>> reals_;
  std::map<std::string, Series> rows_;
  std::map<std::string, std::vector<std::int64_t>> row_steps_;  // "group/step"
  std::size_t buffered_ = 0;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace pgdx::io
