#include "pgdx/io/h5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "pgdx/util/errors.hpp"

namespace pgdx::io {
namespace {

struct ErrorStack {
  std::string outermost;  // the API call's description
  std::string innermost;  // the cause ("can't read data (data error detected by Fletcher32 checksum)")
  std::string os_error;   // the operating system's, when a system call failed underneath
};

// Folds HDF5's error stack into what one line needs. HDF5's file drivers report a failed system
// call as "... errno = 28, error message = 'No space left on device', ..." somewhere down the stack.
herr_t collect_error(unsigned n, const H5E_error2_t* err, void* data) {
  auto* stack = static_cast<ErrorStack*>(data);
  if (!err->desc) return 0;
  const std::string desc = err->desc;
  if (n == 0) stack->outermost = desc;
  stack->innermost = desc;
  const std::string marker = "error message = '";
  const auto at = desc.find(marker);
  if (stack->os_error.empty() && at != std::string::npos) {
    const auto start = at + marker.size();
    stack->os_error = desc.substr(start, desc.find('\'', start) - start);
  }
  return 0;
}

[[noreturn]] void fail(const std::string& call, const std::string& file) {
  ErrorStack stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &stack);
  H5Eclear2(H5E_DEFAULT);
  if (!stack.os_error.empty()) throw IoError(file + ": " + stack.os_error + " (HDF5 " + call + ")");
  std::string detail = stack.outermost;
  if (stack.innermost != stack.outermost) detail += " (" + stack.innermost + ")";
  throw std::runtime_error(file + ": HDF5 " + call + " failed" + (detail.empty() ? "" : ": " + detail));
}

hid_t checked(hid_t id, const std::string& call, const std::string& file) {
  if (id < 0) fail(call, file);
  return id;
}

void checked_status(herr_t rc, const std::string& call, const std::string& file) {
  if (rc < 0) fail(call, file);
}

// Closes any HDF5 identifier on scope exit.
// Set when HDF5 could not close an object: its library shutdown then crashes (h5_file.hpp).
std::atomic<bool> g_damaged{false};

class Handle {
 public:
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() {
    if (id_ >= 0 && H5Idec_ref(id_) < 0) {
      g_damaged = true;
      H5Eclear2(H5E_DEFAULT);
    }
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }
  // Closing a dataset writes its cached chunks: a write that fails there (ENOSPC) must be an
  // error, not a silent loss in a destructor.
  void close(const std::string& call, const std::string& file) {
    const hid_t id = id_;
    id_ = -1;
    if (H5Idec_ref(id) < 0) {
      g_damaged = true;
      fail(call, file);
    }
  }

 private:
  hid_t id_;
};

// HDF5 refuses chunks of 4 GiB or more; a chunk is also what a reader must hold (and checksum) at
// once, so large fixed datasets are split well below that.
constexpr hsize_t kMaxChunkBytes = hsize_t{64} << 20;

hid_t link_properties_with_parents() {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  return lcpl;
}

hid_t open_or_create_extendible(hid_t file, const std::string& path, hid_t type, std::uint64_t width,
                                const std::string& file_name) {
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0) return checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2(" + path + ")", file_name);
  const int rank = width == 0 ? 1 : 2;
  hsize_t dims[2] = {0, width};
  hsize_t max_dims[2] = {H5S_UNLIMITED, width};
  hsize_t chunk[2] = {width == 0 ? 1024 : std::max<hsize_t>(1, 32768 / (8 * width) ), width};
  Handle space(checked(H5Screate_simple(rank, dims, max_dims), "H5Screate_simple", file_name));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  checked_status(H5Pset_chunk(dcpl, rank, chunk), "H5Pset_chunk", file_name);
  // Every chunk carries a checksum, so a damaged file is detected when it is read.
  checked_status(H5Pset_fletcher32(dcpl), "H5Pset_fletcher32", file_name);
  Handle lcpl(link_properties_with_parents());
  return checked(H5Dcreate2(file, path.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT), "H5Dcreate2(" + path + ")",
                 file_name);
}

std::uint64_t fnv1a(std::uint64_t digest, const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) digest = (digest ^ p[i]) * 0x100000001b3ULL;
  return digest;
}

// Returns the number of rows the dataset held before.
std::uint64_t append_block(hid_t file, const std::string& path, hid_t type, const void* data, std::uint64_t rows,
                  std::uint64_t width, const std::string& file_name) {
  if (rows == 0) return 0;
  Handle dset(open_or_create_extendible(file, path, type, width, file_name));
  Handle old_space(H5Dget_space(dset));
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(old_space, dims, nullptr);
  const int rank = width == 0 ? 1 : 2;
  hsize_t new_dims[2] = {dims[0] + rows, width};
  checked_status(H5Dset_extent(dset, new_dims), "H5Dset_extent(" + path + ")", file_name);
  Handle space(H5Dget_space(dset));
  hsize_t start[2] = {dims[0], 0};
  hsize_t count[2] = {rows, width};
  checked_status(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab",
                 file_name);
  Handle memory(H5Screate_simple(rank, count, nullptr));
  checked_status(H5Dwrite(dset, type, memory, space, H5P_DEFAULT, data), "H5Dwrite(" + path + ")", file_name);
  dset.close("H5Dclose(" + path + ")", file_name);
  return dims[0];
}

// Reads and writes without verifying Fletcher-32 checksums (the filter still computes them on write).
hid_t unverified_transfer() {
  const hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_edc_check(dxpl, H5Z_DISABLE_EDC);
  return dxpl;
}

template <class T>
std::vector<T> read_all(hid_t file, const std::string& path, hid_t mem_type, const std::string& file_name) {
  Handle dset(checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2(" + path + ")", file_name));
  Handle space(H5Dget_space(dset));
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<T> out(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
  if (!out.empty())
    checked_status(H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "H5Dread(" + path + ")",
                   file_name);
  return out;
}

void write_attribute(hid_t file, const std::string& name, hid_t type, const void* data, const std::string& file_name) {
  if (H5Aexists(file, name.c_str()) > 0) H5Adelete(file, name.c_str());
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr(checked(H5Acreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                      "H5Acreate2(" + name + ")", file_name));
  checked_status(H5Awrite(attr, type, data), "H5Awrite(" + name + ")", file_name);
}

}  // namespace

H5File::H5File(const std::string& path, Mode mode) : path_(path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported by exceptions, not printed
  switch (mode) {
    case Mode::create_truncate:
      id_ = checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "H5Fcreate", path);
      break;
    case Mode::read_only:
      id_ = checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", path);
      break;
    case Mode::read_write:
      id_ = checked(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "H5Fopen", path);
      break;
  }
}

bool hdf5_damaged() { return g_damaged.load(); }

H5File::~H5File() {
  if (id_ >= 0 && H5Fclose(id_) < 0) g_damaged = true;
}

void H5File::close() {
  if (id_ < 0) return;
  const herr_t rc = H5Fclose(id_);
  id_ = -1;
  if (rc < 0) g_damaged = true;
  checked_status(rc, "H5Fclose", path_);
}

void H5File::flush() { checked_status(H5Fflush(id_, H5F_SCOPE_GLOBAL), "H5Fflush", path_); }

void H5File::set_attribute(const std::string& name, const std::string& value) {
  // Variable-length UTF-8, so h5py returns str (fixed-length strings come back as bytes).
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const char* text = value.c_str();
  write_attribute(id_, name, type, &text, path_);
}

void H5File::set_attribute(const std::string& name, double value) {
  write_attribute(id_, name, H5T_NATIVE_DOUBLE, &value, path_);
}

void H5File::set_attribute(const std::string& name, std::int64_t value) {
  write_attribute(id_, name, H5T_NATIVE_INT64, &value, path_);
}

bool H5File::has_attribute(const std::string& name) const { return H5Aexists(id_, name.c_str()) > 0; }

std::string H5File::string_attribute(const std::string& name) const {
  Handle attr(checked(H5Aopen(id_, name.c_str(), H5P_DEFAULT), "H5Aopen(" + name + ")", path_));
  Handle type(H5Aget_type(attr));
  if (H5Tget_class(type) != H5T_STRING) throw std::runtime_error(path_ + ": attribute " + name + " is not a string");
  if (H5Tis_variable_str(type) > 0) {
    char* value = nullptr;
    Handle mem(H5Tget_native_type(type, H5T_DIR_ASCEND));
    checked_status(H5Aread(attr, mem, &value), "H5Aread(" + name + ")", path_);
    std::string out = value ? value : "";
    H5free_memory(value);
    return out;
  }
  std::string out(H5Tget_size(type), '\0');
  checked_status(H5Aread(attr, type, out.data()), "H5Aread(" + name + ")", path_);
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

double H5File::real_attribute(const std::string& name) const {
  Handle attr(checked(H5Aopen(id_, name.c_str(), H5P_DEFAULT), "H5Aopen(" + name + ")", path_));
  double v = 0.0;
  checked_status(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), "H5Aread(" + name + ")", path_);
  return v;
}

std::int64_t H5File::integer_attribute(const std::string& name) const {
  Handle attr(checked(H5Aopen(id_, name.c_str(), H5P_DEFAULT), "H5Aopen(" + name + ")", path_));
  std::int64_t v = 0;
  checked_status(H5Aread(attr, H5T_NATIVE_INT64, &v), "H5Aread(" + name + ")", path_);
  return v;
}

namespace {
void write_dataset(hid_t file, const std::string& path, hid_t file_type, hid_t mem_type, const void* data,
                   const std::vector<std::uint64_t>& dims, const std::string& file_name) {
  std::vector<hsize_t> d(dims.begin(), dims.end());
  Handle space(checked(H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr), "H5Screate_simple", file_name));
  // Filters (the checksum) need chunked storage. A zero-size dataset has no storage to protect, and
  // HDF5 rejects zero-size chunks, so it stays contiguous.
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (!d.empty() && std::find(d.begin(), d.end(), hsize_t{0}) == d.end()) {
    std::vector<hsize_t> chunk = d;
    // Shrink the slowest axes first: a chunk of whole rows stays one contiguous run of the data.
    hsize_t bytes = H5Tget_size(file_type);
    for (std::size_t i = chunk.size(); i-- > 0;) {
      chunk[i] = std::max<hsize_t>(1, std::min(chunk[i], kMaxChunkBytes / bytes));
      bytes *= chunk[i];
    }
    checked_status(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), "H5Pset_chunk", file_name);
    checked_status(H5Pset_fletcher32(dcpl), "H5Pset_fletcher32", file_name);
  }
  Handle lcpl(link_properties_with_parents());
  Handle dset(checked(H5Dcreate2(file, path.c_str(), file_type, space, lcpl, dcpl, H5P_DEFAULT),
                      "H5Dcreate2(" + path + ")", file_name));
  checked_status(H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite(" + path + ")", file_name);
  dset.close("H5Dclose(" + path + ")", file_name);
}
}  // namespace

void H5File::write(const std::string& path, const std::vector<double>& data, const std::vector<std::uint64_t>& dims) {
  remove(path);
  write_dataset(id_, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data.data(), dims, path_);
}

void H5File::write(const std::string& path, const std::vector<std::int64_t>& data,
                   const std::vector<std::uint64_t>& dims) {
  remove(path);
  write_dataset(id_, path, H5T_STD_I64LE, H5T_NATIVE_INT64, data.data(), dims, path_);
}

namespace {
// A digest is known only for rows this handle wrote from the first, or copied (copy_rows_from).
void update_digest(std::map<std::string, H5File::RowDigest>& digests, const std::string& path,
                   std::uint64_t rows_before, const void* data, std::uint64_t rows, std::size_t bytes) {
  if (rows == 0) return;
  auto it = digests.find(path);
  if (it == digests.end()) {
    if (rows_before != 0) return;
    it = digests.emplace(path, H5File::RowDigest{}).first;
  }
  if (it->second.rows != rows_before) {
    digests.erase(it);
    return;
  }
  it->second.rows += rows;
  it->second.digest = fnv1a(it->second.digest, data, bytes);
}
}  // namespace

void H5File::append(const std::string& path, const std::vector<double>& values) {
  const auto before = append_block(id_, path, H5T_NATIVE_DOUBLE, values.data(), values.size(), 0, path_);
  update_digest(row_digests_, path, before, values.data(), values.size(), values.size() * sizeof(double));
}

void H5File::append(const std::string& path, const std::vector<std::int64_t>& values) {
  const auto before = append_block(id_, path, H5T_NATIVE_INT64, values.data(), values.size(), 0, path_);
  update_digest(row_digests_, path, before, values.data(), values.size(), values.size() * sizeof(std::int64_t));
}

void H5File::append_rows(const std::string& path, const std::vector<double>& rows, std::uint64_t width) {
  const std::uint64_t count = width ? rows.size() / width : 0;
  const auto before = append_block(id_, path, H5T_NATIVE_DOUBLE, rows.data(), count, width, path_);
  update_digest(row_digests_, path, before, rows.data(), count, count * width * sizeof(double));
}

namespace {
struct RawRows {
  std::vector<unsigned char> bytes;
  hsize_t rows = 0, width = 0;  // width 0: a 1-D column
  bool integer = false;
};

// The first `rows` rows of an extendible dataset in native layout; `verify` false skips the checksums.
RawRows read_rows(hid_t file, const std::string& path, std::uint64_t rows, bool verify, const std::string& file_name) {
  Handle dset(checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2(" + path + ")", file_name));
  Handle stored_type(checked(H5Dget_type(dset), "H5Dget_type(" + path + ")", file_name));
  Handle space(checked(H5Dget_space(dset), "H5Dget_space(" + path + ")", file_name));
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 1 || rank > 2) fail("H5Sget_simple_extent_ndims(" + path + ")", file_name);
  RawRows out;
  out.integer = H5Tget_class(stored_type) == H5T_INTEGER;
  const hid_t type = out.integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space, dims, nullptr);
  out.rows = std::min<hsize_t>(rows, dims[0]);
  out.width = rank == 2 ? dims[1] : 0;
  out.bytes.resize(static_cast<std::size_t>(out.rows * std::max<hsize_t>(out.width, 1) * 8));
  if (out.rows == 0) return out;
  hsize_t start[2] = {0, 0};
  hsize_t count[2] = {out.rows, out.width};
  checked_status(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr),
                 "H5Sselect_hyperslab(" + path + ")", file_name);
  Handle memory(H5Screate_simple(rank, count, nullptr));
  Handle transfer(unverified_transfer());
  checked_status(H5Dread(dset, type, memory, space, verify ? H5P_DEFAULT : hid_t(transfer), out.bytes.data()),
                 "H5Dread(" + path + ")", file_name);
  return out;
}

herr_t copy_attribute(hid_t source, const char* name, const H5A_info_t*, void* data) {
  const hid_t target = *static_cast<hid_t*>(data);
  Handle attr(H5Aopen(source, name, H5P_DEFAULT));
  Handle type(H5Aget_type(attr));
  Handle space(H5Aget_space(attr));
  if (H5Aexists(target, name) > 0) H5Adelete(target, name);
  if (H5Tis_variable_str(type) > 0) {  // pgdx's strings: scalar, variable-length
    if (H5Sget_simple_extent_npoints(space) != 1) return -1;
    char* text = nullptr;
    if (H5Aread(attr, type, &text) < 0) return -1;
    Handle copy(H5Acreate2(target, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
    const bool ok = static_cast<hid_t>(copy) >= 0 && H5Awrite(copy, type, &text) >= 0;
    H5free_memory(text);
    return ok ? 0 : -1;
  }
  std::vector<unsigned char> buffer(H5Tget_size(type) * static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  if (H5Aread(attr, type, buffer.data()) < 0) return -1;
  Handle copy(H5Acreate2(target, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
  return static_cast<hid_t>(copy) < 0 || H5Awrite(copy, type, buffer.data()) < 0 ? -1 : 0;
}
}  // namespace

void H5File::copy_attributes_from(const H5File& source) {
  hid_t target = id_;
  checked_status(H5Aiterate2(source.id_, H5_INDEX_NAME, H5_ITER_INC, nullptr, copy_attribute, &target),
                 "H5Aiterate2(/) copying attributes from " + source.path_, path_);
}

void H5File::copy_object_from(const H5File& source, const std::string& from, const std::string& to) {
  Handle lcpl(link_properties_with_parents());
  checked_status(H5Ocopy(source.id_, from.c_str(), id_, to.c_str(), H5P_DEFAULT, lcpl),
                 "H5Ocopy(" + source.path_ + ":" + from + " -> " + to + ")", path_);
}

H5File::RowDigest H5File::copy_rows_from(const H5File& source, const std::string& path, std::uint64_t rows) {
  const RawRows raw = read_rows(source.id_, path, rows, false, source.path_);
  RowDigest digest{raw.rows, fnv1a(RowDigest{}.digest, raw.bytes.data(), raw.bytes.size())};
  // An empty column is created all the same: the copy has the shape of the original.
  Handle dset(open_or_create_extendible(id_, path, raw.integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, raw.width, path_));
  dset.close("H5Dclose(" + path + ")", path_);
  append_block(id_, path, raw.integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, raw.bytes.data(), raw.rows, raw.width,
               path_);
  row_digests_[path] = digest;
  return digest;
}

void H5File::adopt_row_digests() {
  for (const std::string& path : datasets()) {
    if (!extendible(path)) continue;
    const RawRows raw = read_rows(id_, path, ~std::uint64_t{0}, true, path_);
    row_digests_[path] = {raw.rows, fnv1a(RowDigest{}.digest, raw.bytes.data(), raw.bytes.size())};
  }
}

std::vector<std::int64_t> H5File::read_integers_unverified(const std::string& path) const {
  const RawRows raw = read_rows(id_, path, ~std::uint64_t{0}, false, path_);
  if (!raw.integer || raw.width != 0) throw std::runtime_error(path_ + ": " + path + " is not an integer column");
  std::vector<std::int64_t> out(raw.rows);
  if (!out.empty()) std::memcpy(out.data(), raw.bytes.data(), raw.bytes.size());
  return out;
}

bool H5File::exists(const std::string& path) const {
  // H5Lexists needs every parent to exist, so walk the path.
  std::string prefix;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    prefix = path.substr(0, slash);
    if (H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

namespace {
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> H5File::list(const std::string& group) const {
  std::vector<std::string> names;
  if (!exists(group)) return names;
  checked_status(H5Literate_by_name(id_, group.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names,
                                     H5P_DEFAULT),
                 "H5Literate(" + group + ")", path_);
  return names;
}

void H5File::remove(const std::string& path) {
  if (exists(path)) checked_status(H5Ldelete(id_, path.c_str(), H5P_DEFAULT), "H5Ldelete(" + path + ")", path_);
}

void H5File::move(const std::string& from, const std::string& to) {
  checked_status(H5Lmove(id_, from.c_str(), id_, to.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                 "H5Lmove(" + from + " -> " + to + ")", path_);
}

void H5File::truncate(const std::string& path, std::uint64_t rows) {
  Handle dset(checked(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), "H5Dopen2(" + path + ")", path_));
  Handle space(H5Dget_space(dset));
  hsize_t dims[2] = {0, 0};
  const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
  if (rank < 1 || dims[0] <= rows) return;
  dims[0] = rows;
  checked_status(H5Dset_extent(dset, dims), "H5Dset_extent(" + path + ")", path_);
}

std::vector<std::uint64_t> H5File::shape(const std::string& path) const {
  Handle dset(checked(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), "H5Dopen2(" + path + ")", path_));
  Handle space(H5Dget_space(dset));
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

bool H5File::extendible(const std::string& path) const {
  const hid_t id = H5Dopen2(id_, path.c_str(), H5P_DEFAULT);
  if (id < 0) return false;  // a group, or nothing
  Handle dset(id);
  Handle space(H5Dget_space(dset));
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 1) return false;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank)), max_dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), max_dims.data());
  return max_dims[0] == H5S_UNLIMITED;
}

namespace {
herr_t collect_dataset(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  if (info->type != H5L_TYPE_HARD) return 0;
  const hid_t object = H5Oopen(group, name, H5P_DEFAULT);
  if (object < 0) return -1;
  if (H5Iget_type(object) == H5I_DATASET) static_cast<std::vector<std::string>*>(data)->push_back("/" + std::string(name));
  H5Oclose(object);
  return 0;
}
}  // namespace

std::vector<std::string> H5File::datasets() const {
  std::vector<std::string> paths;
  checked_status(H5Lvisit(id_, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &paths), "H5Lvisit(/)", path_);
  std::sort(paths.begin(), paths.end());
  return paths;
}

void H5File::read_back(const std::string& path) const {
  // Large enough to read a file quickly, small enough that checking a big file needs little memory.
  constexpr hsize_t kBlockBytes = hsize_t{64} << 20;
  Handle dset(checked(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), "H5Dopen2(" + path + ")", path_));
  Handle stored_type(checked(H5Dget_type(dset), "H5Dget_type(" + path + ")", path_));
  Handle type(checked(H5Tget_native_type(stored_type, H5T_DIR_DEFAULT), "H5Tget_native_type(" + path + ")", path_));
  Handle space(checked(H5Dget_space(dset), "H5Dget_space(" + path + ")", path_));
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail("H5Sget_simple_extent_ndims(" + path + ")", path_);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  if (H5Sget_simple_extent_npoints(space) <= 0) return;
  const hsize_t element = H5Tget_size(type);
  const bool variable = H5Tis_variable_str(type) > 0 || H5Tget_class(type) == H5T_VLEN;
  auto read = [&](hid_t memory, hid_t selection, hsize_t elements) {
    std::vector<unsigned char> buffer(elements * element);
    checked_status(H5Dread(dset, type, memory, selection, H5P_DEFAULT, buffer.data()), "H5Dread(" + path + ")",
                   path_);
    if (variable) H5Dvlen_reclaim(type, memory, H5P_DEFAULT, buffer.data());
  };
  if (rank == 0) return read(H5S_ALL, H5S_ALL, 1);
  // Blocks of whole chunks along the first axis, so no chunk is read (and checksummed) twice.
  hsize_t row_elements = 1;
  for (int i = 1; i < rank; ++i) row_elements *= dims[static_cast<std::size_t>(i)];
  hsize_t step = 1;
  Handle dcpl(checked(H5Dget_create_plist(dset), "H5Dget_create_plist(" + path + ")", path_));
  if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    H5Pget_chunk(dcpl, rank, chunk.data());
    step = std::max<hsize_t>(1, chunk[0]);
  }
  step *= std::max<hsize_t>(1, kBlockBytes / std::max<hsize_t>(1, step * row_elements * element));
  for (hsize_t first = 0; first < dims[0]; first += step) {
    std::vector<hsize_t> start(dims.size(), 0), count = dims;
    start[0] = first;
    count[0] = std::min(step, dims[0] - first);
    Handle selection(H5Scopy(space));
    checked_status(H5Sselect_hyperslab(selection, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
                   "H5Sselect_hyperslab(" + path + ")", path_);
    Handle memory(H5Screate_simple(rank, count.data(), nullptr));
    read(memory, selection, count[0] * row_elements);
  }
}

std::vector<H5File::StoredBlock> H5File::stored_blocks(const std::string& path) const {
  Handle dset(checked(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), "H5Dopen2(" + path + ")", path_));
  Handle dcpl(checked(H5Dget_create_plist(dset), "H5Dget_create_plist(" + path + ")", path_));
  std::vector<StoredBlock> blocks;
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) {
    const haddr_t offset = H5Dget_offset(dset);
    if (offset != HADDR_UNDEF) blocks.push_back({offset, H5Dget_storage_size(dset)});
    return blocks;
  }
  // HDF5 1.10 wants the dataset's own space here; H5S_ALL is refused.
  Handle space(checked(H5Dget_space(dset), "H5Dget_space(" + path + ")", path_));
  hsize_t chunks = 0;
  checked_status(H5Dget_num_chunks(dset, space, &chunks), "H5Dget_num_chunks(" + path + ")", path_);
  for (hsize_t i = 0; i < chunks; ++i) {
    haddr_t offset = 0;
    hsize_t size = 0;
    checked_status(H5Dget_chunk_info(dset, space, i, nullptr, nullptr, &offset, &size),
                   "H5Dget_chunk_info(" + path + ")", path_);
    blocks.push_back({offset, size});
  }
  return blocks;
}

std::vector<double> H5File::read_reals(const std::string& path) const {
  return read_all<double>(id_, path, H5T_NATIVE_DOUBLE, path_);
}

std::vector<std::int64_t> H5File::read_integers(const std::string& path) const {
  return read_all<std::int64_t>(id_, path, H5T_NATIVE_INT64, path_);
}

}  // namespace pgdx::io
