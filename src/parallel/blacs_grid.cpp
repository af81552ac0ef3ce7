#include "pgdx/parallel/blacs_grid.hpp"

#include <mpi.h>

#include <cmath>
#include <stdexcept>

extern "C" {
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int* context, const char* order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int* nprow, int* npcol, int* myrow, int* mycol);
void Cblacs_gridexit(int context);
}

namespace pgdx::parallel {

BlacsGrid::BlacsGrid(const Comm& comm) : comm_(comm) {
  const int p = comm.size();
  int rows = static_cast<int>(std::sqrt(static_cast<double>(p)));
  while (rows > 1 && p % rows != 0) --rows;
  npcol_ = rows;  // the smaller factor
  nprow_ = p / rows;
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
