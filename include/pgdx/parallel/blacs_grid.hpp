#pragma once
// A BLACS process grid over a communicator (RAII; move-only). The shape is chosen from the rank
// count: nprow × npcol = P with nprow ≤ npcol as close to square as possible (2 → 1×2, 4 → 2×2,
// 6 → 2×3). Wide, not tall: pdpotrf("L") factors each panel inside one process column, so on a
// 1×2 grid the panel is local and only the trailing update is shared; on 2×1 every panel crossed
// the ranks (6 900² Cholesky on 2 ranks: 1.92 s on 2×1, 1.33 s on 1×2, LAPACK on one core 2.20 s;
// docs/performance.md). Creating and destroying a grid are collectives over the communicator.
#include <memory>

#include "pgdx/parallel/comm.hpp"

namespace pgdx::parallel {

class BlacsGrid {
 public:
  explicit BlacsGrid(const Comm& comm);
  // An explicit shape (nprow · npcol must equal the communicator's size): `pgdx bench solve --grid`.
  BlacsGrid(const Comm& comm, int nprow, int npcol);
  ~BlacsGrid();
  BlacsGrid(const BlacsGrid&) = delete;
  BlacsGrid& operator=(const BlacsGrid&) = delete;

  const Comm& comm() const { return comm_; }
  int context() const { return context_; }
  int rows() const { return nprow_; }
  int cols() const { return npcol_; }
  int my_row() const { return myrow_; }
  int my_col() const { return mycol_; }

 private:
  Comm comm_;
  int context_ = -1;
  int nprow_ = 1, npcol_ = 1, myrow_ = 0, mycol_ = 0;
};

// The shape BlacsGrid(comm) chooses for `ranks` ranks (rows ≤ cols); no MPI needed (`pgdx plan`).
void default_grid_shape(int ranks, int& rows, int& cols);

// The grid for a communicator, or null on one rank (DistMatrix then uses plain LAPACK).
std::shared_ptr<const BlacsGrid> make_grid(const Comm& comm);

}  // namespace pgdx::parallel
