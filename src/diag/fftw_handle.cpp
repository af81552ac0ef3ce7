#include "pgdx/diag/fftw_handle.hpp"

#include <fftw3.h>

namespace pgdx::diag::detail {

void FftwFree::operator()(void* p) const noexcept { fftw_free(p); }

void FftwDestroyPlan::operator()(void* plan) const noexcept { fftw_destroy_plan(static_cast<fftw_plan>(plan)); }

}  // namespace pgdx::diag::detail
