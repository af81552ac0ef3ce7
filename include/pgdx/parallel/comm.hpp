#pragma once
// MPI communicator wrapper: the only header besides parallel/*.cpp that touches MPI.
// Collectives are explicit member calls; copying a Comm never calls MPI (it is a view).
#include <cstddef>
#include <string>
#include <vector>

namespace pgdx::parallel {

// Owns MPI_Init/MPI_Finalize for main(); respects an MPI that is already initialised.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owns_ = false;
};

class Comm {
 public:
  static Comm world();
  static Comm self();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  void barrier() const;
  void allreduce_sum(double* data, std::size_t count) const;
  double allreduce_sum(double value) const;
  double allreduce_max(double value) const;
  int allreduce_max(int value) const;
  // Concatenates every rank's `local` in rank order into `global` on every rank.
  void allgatherv(const std::vector<double>& local, std::vector<double>& global) const;
  // out = Σ_b partial_b over every rank's blocks, added in global block order b = 0, 1, …: rank r
  // holds `local_blocks` consecutive blocks (rank 0 the first ones), each a `width`-vector, stored
  // block after block in `local`. The same bits on any number of ranks for the same blocks (an
  // MPI_Allreduce adds in an unspecified order). Each rank sums one segment of the vector over all
  // blocks (an all-to-all), then the segments are gathered: O(width · blocks / ranks) per rank.
  void ordered_block_sum(const std::vector<double>& local, std::size_t local_blocks, std::size_t width,
                         std::vector<double>& out) const;
  // The same sum with this rank's blocks wherever they are (blocks[b] points at `width` numbers):
  // callers that compute one block at a time need not copy them into one array.
  void ordered_block_sum(const std::vector<const double*>& blocks, std::size_t width, std::vector<double>& out) const;
  void broadcast(double* data, std::size_t count, int root = 0) const;
  void broadcast(std::string& text, int root = 0) const;
  // Ends every rank of the job: the path for an exception that escaped on one rank only.
  [[noreturn]] void abort(int code) const;

  // Opaque handle for parallel/ internals (ScaLAPACK grids): the communicator's Fortran handle.
  long handle() const { return handle_; }

 private:
  explicit Comm(long handle);
  long handle_ = 0;
  int rank_ = 0;
  int size_ = 1;
};

// Contiguous share [begin, end) of n items for `rank` of `size`: the first n % size ranks get one more.
struct IndexRange {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end - begin; }
};
IndexRange shard(std::size_t n, int rank, int size);

}  // namespace pgdx::parallel
