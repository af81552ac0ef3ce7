#pragma once
// The loss as a function of the model outputs of a batch, L(f) with f = e + y (e the residual
// f − y, y the targets, C × n, sample-major): its value, its gradient q = ∂L/∂f and its Hessian
// H = ∂²L/∂f² (block-diagonal, one C × C block per sample), as explicit blocks or applied to a
// vector — what the generalised Gauss–Newton matrix JᵀHJ needs (EXPERIMENTS.md §0.2). Pure
// arithmetic: no model, no BLAS (square roots of H are problem/output_curvature.hpp's).
//   squared:        L = c·½‖e‖²                      q = c e            H = c I
//   cross_entropy:  L = c·Σᵢ (logsumexp(fᵢ) − yᵢ·fᵢ)  q = c (pᵢ − yᵢ)    Hᵢ = c (diag pᵢ − pᵢpᵢᵀ)
// with p = softmax(f) per sample, targets yᵢ probability vectors (one-hot for classification),
// and c from the reduction: 1 (sum) or 1/n (mean; elementwise_mean is squared-only).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "pgdx/loss/mse.hpp"

namespace pgdx::loss {

enum class LossKind { squared, cross_entropy };

std::string to_string(LossKind k);
std::optional<LossKind> parse_loss_kind(const std::string& name);

class OutputLoss {
 public:
  OutputLoss(LossKind kind, Reduction reduction) : kind_(kind), reduction_(reduction) {}
  LossKind kind() const { return kind_; }
  Reduction reduction() const { return reduction_; }
  // c of a batch of n samples with C outputs each.
  double scale(std::size_t n, std::size_t outputs) const { return loss_scale(reduction_, n, outputs); }

  // e and y are C × n, column-major (sample-major order).
  double value(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs) const;
  void gradient(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs,
                std::vector<double>& q) const;
  // blocks: n blocks of C × C (column-major, symmetric), block i = Hᵢ.
  void hessian_blocks(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs,
                      std::vector<double>& blocks) const;
  // out = H w (C × n, like e), without forming H: for cross-entropy c·(p ⊙ wᵢ − p (pᵀwᵢ)) per sample.
  void hessian_times(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs,
                     const std::vector<double>& w, std::vector<double>& out) const;

 private:
  LossKind kind_;
  Reduction reduction_;
};

// softmax of one column of C logits, shifted by its maximum (no overflow for any finite input).
void softmax(const double* f, std::size_t outputs, double* p);

}  // namespace pgdx::loss
