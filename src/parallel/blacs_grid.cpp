#include "pgdx/parallel/blacs_grid.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

extern "C" {
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int* context, const char* order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int* nprow, int* npcol, int* myrow, int* mycol);
void Cblacs_gridexit(int context);
}

namespace pgdx::parallel {

void default_grid_shape(int ranks, int& rows, int& cols) {
  rows = static_cast<int>(std::sqrt(static_cast<double>(ranks)));
  while (rows > 1 && ranks % rows != 0) --rows;
  rows = std::max(rows, 1);
  cols = ranks / rows;
}

namespace {

int default_rows(int ranks) {
  int rows = 1, cols = 1;
  default_grid_shape(ranks, rows, cols);
  return rows;
}

}  // namespace

BlacsGrid::BlacsGrid(const Comm& comm)
    : BlacsGrid(comm, default_rows(comm.size()), comm.size() / default_rows(comm.size())) {}

BlacsGrid::BlacsGrid(const Comm& comm, int nprow, int npcol) : comm_(comm), nprow_(nprow), npcol_(npcol) {
  if (nprow < 1 || npcol < 1 || nprow * npcol != comm.size())
    throw std::invalid_argument("BLACS grid " + std::to_string(nprow) + " x " + std::to_string(npcol) +
                                " does not match " + std::to_string(comm.size()) + " ranks");
  const int system = Csys2blacs_handle(MPI_Comm_f2c(static_cast<MPI_Fint>(comm.handle())));
  context_ = system;
  Cblacs_gridinit(&context_, "Row", nprow_, npcol_);
  Cfree_blacs_system_handle(system);
  Cblacs_gridinfo(context_, &nprow_, &npcol_, &myrow_, &mycol_);
  if (myrow_ < 0 || mycol_ < 0) throw std::runtime_error("Cblacs_gridinit: this rank is not in the grid");
}

BlacsGrid::~BlacsGrid() {
  if (context_ >= 0) Cblacs_gridexit(context_);
}

std::shared_ptr<const BlacsGrid> make_grid(const Comm& comm) {
  return comm.size() > 1 ? std::make_shared<const BlacsGrid>(comm) : nullptr;
}

}  // namespace pgdx::parallel
