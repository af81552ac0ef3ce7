#pragma once
// Owning handles for FFTW buffers and plans. The deleters are defined in src/diag/fftw_handle.cpp
// so that headers stay free of <fftw3.h>: the pointers are held as double* / void*.
#include <memory>

namespace pgdx::diag::detail {

struct FftwFree {
  void operator()(void* p) const noexcept;  // fftw_free
};

struct FftwDestroyPlan {
  void operator()(void* plan) const noexcept;  // fftw_destroy_plan
};

using FftwReal = std::unique_ptr<double, FftwFree>;
using FftwComplex = std::unique_ptr<void, FftwFree>;  // fftw_complex[]
using FftwPlan = std::unique_ptr<void, FftwDestroyPlan>;

}  // namespace pgdx::diag::detail
