#pragma once
// Thin RAII layer over the HDF5 C API: the only header that speaks HDF5 to the rest of io/.
// Every failing call throws with the call spelled out and HDF5's own message; HDF5's automatic
// stderr printing is switched off while pgdx holds a file. Every dataset it creates (except an empty
// one) carries HDF5's Fletcher-32 checksum, so a damaged file fails when it is read, not later.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pgdx::io {

// True once a file could not be closed (a write failed underneath HDF5, e.g. ENOSPC mid-write):
// HDF5 then crashes when the library shuts down (at MPI_Finalize), so a process ending after such
// a failure must leave without shutting HDF5 down (app/main.cpp).
bool hdf5_damaged();

class H5File {
 public:
  enum class Mode { create_truncate, read_only, read_write };
  H5File(const std::string& path, Mode mode);
  ~H5File();
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  const std::string& path() const { return path_; }
  void close();  // flushes; idempotent
  void flush();

  // Attributes on the root group (overwritten if present).
  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, double value);
  void set_attribute(const std::string& name, std::int64_t value);
  bool has_attribute(const std::string& name) const;
  std::string string_attribute(const std::string& name) const;
  double real_attribute(const std::string& name) const;
  std::int64_t integer_attribute(const std::string& name) const;

  // Fixed-shape dataset (intermediate groups are created; an existing one is replaced).
  // dims = {n} or {rows, cols}.
  void write(const std::string& path, const std::vector<double>& data, const std::vector<std::uint64_t>& dims);
  void write(const std::string& path, const std::vector<std::int64_t>& data, const std::vector<std::uint64_t>& dims);

  // Extendible chunked datasets: 1-D float64/int64 columns, 2-D float64 (rows × width).
  void append(const std::string& path, const std::vector<double>& values);
  void append(const std::string& path, const std::vector<std::int64_t>& values);
  void append_rows(const std::string& path, const std::vector<double>& rows, std::uint64_t width);

  bool exists(const std::string& path) const;
  std::vector<std::string> list(const std::string& group) const;  // member names, sorted
  // Removes a dataset or group if present (a later write may then create it again).
  void remove(const std::string& path);
  // Renames a link (dataset or group); `to` must not exist.
  void move(const std::string& from, const std::string& to);
  // Shrinks an extendible dataset to its first `rows` rows.
  void truncate(const std::string& path, std::uint64_t rows);

  // What this handle knows an extendible dataset holds: its row count and a digest (FNV-1a) of
  // its rows' bytes, kept up to date by append*, copy_rows_from and adopt_row_digests.
  struct RowDigest {
    std::uint64_t rows = 0;
    std::uint64_t digest = 0xcbf29ce484222325ULL;  // of no bytes
    bool operator==(const RowDigest& o) const { return rows == o.rows && digest == o.digest; }
  };
  const std::map<std::string, RowDigest>& row_digests() const { return row_digests_; }
  // Reads every extendible dataset (verified) and takes its digest: a handle continuing a file.
  void adopt_row_digests();
  // Copying a file's sound parts into a new one (a resume rebuilds its file so; see
  // io/resume_file.hpp). copy_rows_from reads the first `rows` rows of an extendible dataset
  // without checksum verification — a process killed while HDF5 rewrote a chunk leaves it torn:
  // the rows it held before are intact (old and new versions agree on them), but its checksum
  // matches neither version — and appends them here; the caller checks the returned digest
  // against one recorded while the file was whole.
  RowDigest copy_rows_from(const H5File& source, const std::string& path, std::uint64_t rows);
  void copy_object_from(const H5File& source, const std::string& from, const std::string& to);
  void copy_attributes_from(const H5File& source);  // the root group's
  // A 1-D integer column, read without checksum verification (see copy_rows_from).
  std::vector<std::int64_t> read_integers_unverified(const std::string& path) const;
  std::vector<std::uint64_t> shape(const std::string& path) const;
  // True for the appendable (record-axis) datasets, false for fixed ones such as axes.
  bool extendible(const std::string& path) const;
  std::vector<double> read_reals(const std::string& path) const;  // any numeric type, as float64
  std::vector<std::int64_t> read_integers(const std::string& path) const;

  // Every dataset in the file (absolute paths, sorted), for whole-file checks.
  std::vector<std::string> datasets() const;
  // Reads the whole dataset in its stored type, a bounded block at a time, and discards it: HDF5
  // verifies the Fletcher-32 checksum of every chunk it reads, so a damaged dataset throws here.
  void read_back(const std::string& path) const;
  // Where the dataset's stored bytes lie in the file: one block (contiguous) or one per chunk;
  // none when nothing is stored. For tests and tools that damage files on purpose.
  struct StoredBlock {
    std::uint64_t offset = 0, size = 0;
  };
  std::vector<StoredBlock> stored_blocks(const std::string& path) const;

 private:
  std::int64_t id_ = -1;  // hid_t
  std::string path_;
  std::map<std::string, RowDigest> row_digests_;
};

}  // namespace pgdx::io
