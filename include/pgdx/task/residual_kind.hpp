#pragma once
// How a task's samples turn into residual entries (problem/residual_operator.hpp builds the
// operator; a task only names it).
namespace pgdx::task {

enum class ResidualKind {
  output_minus_target,  // e = f(x) − y
  laplacian,            // e = α u(x) + β Δu(x) − y, (α, β) the samples' coefficients
};

}  // namespace pgdx::task
