#pragma once
// The single-thread dgemm rate of this core (PLATFORM.md §6): the ceiling every `pgdx bench`
// figure is reported against, measured in the same run as the figure.
namespace pgdx::linalg {

// GFLOP/s of C = A·B for n × n matrices, median of `repeats` products.
double measure_dgemm_gflops(int n = 1024, int repeats = 5);

}  // namespace pgdx::linalg
