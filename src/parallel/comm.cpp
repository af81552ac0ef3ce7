#include "pgdx/parallel/comm.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace pgdx::parallel {
namespace {

void check(int rc, const char* call) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw std::runtime_error(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(len)));
  }
}

// The Fortran handle is an integer in every MPI implementation, so the header stays MPI-free.
MPI_Comm as_mpi(long handle) { return MPI_Comm_f2c(static_cast<MPI_Fint>(handle)); }

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    check(MPI_Init(argc, argv), "MPI_Init");
    owns_ = true;
  }
}

MpiSession::~MpiSession() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (owns_ && !finalised) MPI_Finalize();
}

Comm::Comm(long handle) : handle_(handle) {
  check(MPI_Comm_rank(as_mpi(handle_), &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(as_mpi(handle_), &size_), "MPI_Comm_size");
}

Comm Comm::world() { return Comm(static_cast<long>(MPI_Comm_c2f(MPI_COMM_WORLD))); }
Comm Comm::self() { return Comm(static_cast<long>(MPI_Comm_c2f(MPI_COMM_SELF))); }

void Comm::barrier() const { check(MPI_Barrier(as_mpi(handle_)), "MPI_Barrier"); }

void Comm::allreduce_sum(double* data, std::size_t count) const {
  if (size_ == 1 || count == 0) return;
  check(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_DOUBLE, MPI_SUM, as_mpi(handle_)),
        "MPI_Allreduce(sum)");
}

double Comm::allreduce_sum(double value) const {
  allreduce_sum(&value, 1);
  return value;
}

double Comm::allreduce_max(double value) const {
  if (size_ == 1) return value;
  check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, as_mpi(handle_)), "MPI_Allreduce(max)");
  return value;
}

int Comm::allreduce_max(int value) const {
  if (size_ == 1) return value;
  check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, as_mpi(handle_)), "MPI_Allreduce(max)");
  return value;
}

void Comm::allgatherv(const std::vector<double>& local, std::vector<double>& global) const {
  if (size_ == 1) {
    global = local;
    return;
  }
  int mine = static_cast<int>(local.size());
  std::vector<int> counts(static_cast<std::size_t>(size_));
  check(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, as_mpi(handle_)), "MPI_Allgather");
  std::vector<int> offsets(counts.size(), 0);
  for (std::size_t r = 1; r < counts.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
  global.resize(static_cast<std::size_t>(offsets.back() + counts.back()));
  check(MPI_Allgatherv(local.data(), mine, MPI_DOUBLE, global.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                       as_mpi(handle_)),
        "MPI_Allgatherv");
}

void Comm::ordered_block_sum(const std::vector<double>& local, std::size_t local_blocks, std::size_t width,
                             std::vector<double>& out) const {
  if (local.size() != local_blocks * width) throw std::invalid_argument("ordered_block_sum: local has the wrong size");
  std::vector<const double*> blocks(local_blocks);
  for (std::size_t b = 0; b < local_blocks; ++b) blocks[b] = local.data() + b * width;
  ordered_block_sum(blocks, width, out);
}

void Comm::ordered_block_sum(const std::vector<const double*>& blocks, std::size_t width,
                             std::vector<double>& out) const {
  const std::size_t local_blocks = blocks.size();
  out.assign(width, 0.0);
  if (size_ == 1) {
    for (const double* block : blocks)
      for (std::size_t i = 0; i < width; ++i) out[i] += block[i];
    return;
  }
  const auto ranks = static_cast<std::size_t>(size_);
  std::vector<long long> blocks_of(ranks);
  const long long mine = static_cast<long long>(local_blocks);
  check(MPI_Allgather(&mine, 1, MPI_LONG_LONG, blocks_of.data(), 1, MPI_LONG_LONG, as_mpi(handle_)), "MPI_Allgather");
  std::vector<IndexRange> segment(ranks);
  for (std::size_t r = 0; r < ranks; ++r) segment[r] = shard(width, static_cast<int>(r), size_);
  // The buffers are O(width · blocks) — megabytes per CG iteration for a transformer — and kept
  // between calls: fresh ones would be page-faulted in every time.
  thread_local std::vector<double> send, received;
  // Send to rank s the segment s of each of my blocks, in block order.
  std::vector<int> send_counts(ranks), send_offsets(ranks), recv_counts(ranks), recv_offsets(ranks);
  send.resize(local_blocks * width);
  std::size_t at = 0;
  for (std::size_t s = 0; s < ranks; ++s) {
    send_offsets[s] = static_cast<int>(at);
    for (const double* block : blocks) {
      std::copy(block + segment[s].begin, block + segment[s].end, send.begin() + static_cast<long>(at));
      at += segment[s].size();
    }
    send_counts[s] = static_cast<int>(at) - send_offsets[s];
  }
  const IndexRange& own = segment[static_cast<std::size_t>(rank_)];
  std::size_t total = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    recv_offsets[r] = static_cast<int>(total);
    recv_counts[r] = static_cast<int>(static_cast<std::size_t>(blocks_of[r]) * own.size());
    total += static_cast<std::size_t>(recv_counts[r]);
  }
  received.resize(total);
  check(MPI_Alltoallv(send.data(), send_counts.data(), send_offsets.data(), MPI_DOUBLE, received.data(),
                      recv_counts.data(), recv_offsets.data(), MPI_DOUBLE, as_mpi(handle_)),
        "MPI_Alltoallv");
  // Received in rank order, each rank's blocks in order: global block order.
  std::vector<double> sum(own.size(), 0.0);
  for (std::size_t k = 0; k < total / std::max<std::size_t>(own.size(), 1); ++k)
    for (std::size_t i = 0; i < own.size(); ++i) sum[i] += received[k * own.size() + i];
  allgatherv(sum, out);
}

void Comm::broadcast(double* data, std::size_t count, int root) const {
  if (size_ == 1 || count == 0) return;
  check(MPI_Bcast(data, static_cast<int>(count), MPI_DOUBLE, root, as_mpi(handle_)), "MPI_Bcast");
}

void Comm::broadcast(std::string& text, int root) const {
  if (size_ == 1) return;
  unsigned long long n = text.size();
  check(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, as_mpi(handle_)), "MPI_Bcast");
  text.resize(static_cast<std::size_t>(n));
  if (n > 0) check(MPI_Bcast(text.data(), static_cast<int>(n), MPI_CHAR, root, as_mpi(handle_)), "MPI_Bcast");
}

void Comm::abort(int code) const {
  MPI_Abort(as_mpi(handle_), code);
  std::abort();
}

IndexRange shard(std::size_t n, int rank, int size) {
  const std::size_t r = static_cast<std::size_t>(rank);
  const std::size_t s = static_cast<std::size_t>(size);
  const std::size_t base = n / s;
  const std::size_t extra = n % s;
  IndexRange range;
  range.begin = r * base + std::min(r, extra);
  range.end = range.begin + base + (r < extra ? 1 : 0);
  return range;
}

}  // namespace pgdx::parallel
