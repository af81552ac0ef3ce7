#pragma once
// The transformer's layers as free functions with exact forward-mode (jvp) and reverse-mode (vjp)
// derivatives, so each can be tested on its own (tests/unit/test_transformer.cpp).
// Activations are d × m column-major, one token per column; a sequence's T tokens are adjacent
// columns (column i·T + t = sample i, position t), so a linear map over all tokens is one gemm.
// Weights are row-major out × in (PyTorch's layout). A null bias pointer means "no bias".
// Internal to the model module: not part of include/.
#include <cstddef>
#include <vector>

#include "pgdx/linalg/matrix.hpp"
#include "pgdx/model/mlp_options.hpp"

namespace pgdx::model::transformer_layers {

using linalg::Matrix;

// ---- token + positional embedding: h[:, i·T + t] = E[tok(t, i)] + P[t] ----
// tokens is T × n (ids as doubles, already validated). h is linear in (E, P), so its jvp is this
// function applied to the tangent tables.
void embedding_forward(const double* tok_emb, const double* pos_emb, std::size_t width, const Matrix& tokens,
                       Matrix& h);
// g_tok += scatter of gh by token, g_pos += scatter of gh by position.
void embedding_vjp(const Matrix& tokens, const Matrix& gh, double* g_tok, double* g_pos);

// ---- linear map y = W x + b, W out × in row-major ----
void linear_forward(const double* w, const double* b, std::size_t out, const Matrix& x, Matrix& y);
// dy = dW x + W dx + db; dx may be null (an input without tangent).
void linear_jvp(const double* w, const double* dw, const double* db, std::size_t out, const Matrix& x,
                const Matrix* dx, Matrix& dy);
// gw += (gy xᵀ in W's layout), gb += Σ_columns gy (if gb), gx = Wᵀ gy (if gx; overwritten).
void linear_vjp(const double* w, std::size_t out, const Matrix& x, const Matrix& gy, double* gw, double* gb,
                Matrix* gx);

// ---- LayerNorm over each column: y = γ ⊙ x̂ + β, x̂ = (x − μ) / √(σ² + ε) ----
constexpr double kLayerNormEps = 1e-5;
struct LayerNormCache {
  Matrix xhat;                    // x̂ (d × m)
  std::vector<double> inv_sigma;  // 1 / √(σ² + ε) per column
};
void layernorm_forward(const double* gamma, const double* beta, const Matrix& x, Matrix& y, LayerNormCache& cache);
void layernorm_jvp(const double* gamma, const double* dgamma, const double* dbeta, const LayerNormCache& cache,
                   const Matrix& dx, Matrix& dy);
// ggamma += Σ gy ⊙ x̂, gbeta += Σ gy, gx = ∂/∂x (overwritten).
void layernorm_vjp(const double* gamma, const LayerNormCache& cache, const Matrix& gy, double* ggamma,
                   double* gbeta, Matrix& gx);

// ---- elementwise activation (gelu or relu): a = act(z), slope = act'(z) ----
// The slope is kept rather than z: jvp and vjp are then one product each (dz ⊙ slope).
void activation_forward(Activation act, const Matrix& z, Matrix& a, Matrix& slope);
void multiply_elementwise(const Matrix& factor, Matrix& inout);

// ---- causal multi-head attention core (no projections) ----
// Columns of q/k/v live in larger matrices (the packed in-projection output), hence the strides.
struct ConstColumns {
  const double* data;
  std::size_t ld;
  const double* col(std::size_t j) const { return data + j * ld; }
};
struct Columns {
  double* data;
  std::size_t ld;
  double* col(std::size_t j) const { return data + j * ld; }
};
struct AttentionShape {
  std::size_t samples, context, heads, head_dim;
  // Queries only at position T − 1 (the last block: only the last position reaches the output).
  bool last_query_only;
  std::size_t queries() const { return last_query_only ? 1 : context; }
  std::size_t width() const { return heads * head_dim; }
};
// q has samples·queries() columns (query tq of sample i at i·queries() + tq, position
// tq + T − queries()); k and v have samples·T. Row block [h·dh, (h+1)·dh) is head h.
// probs (written) holds softmax rows: index ((i·H + h)·queries() + tq)·T + s, zero for s > t.
// out is width × samples·queries().
void attention_forward(const AttentionShape& s, ConstColumns q, ConstColumns k, ConstColumns v,
                       std::vector<double>& probs, Matrix& out);
void attention_jvp(const AttentionShape& s, ConstColumns q, ConstColumns k, ConstColumns v,
                   const std::vector<double>& probs, ConstColumns dq, ConstColumns dk, ConstColumns dv, Matrix& dout);
// gq, gk, gv are overwritten (every column of each is reached).
void attention_vjp(const AttentionShape& s, ConstColumns q, ConstColumns k, ConstColumns v,
                   const std::vector<double>& probs, const Matrix& gout, Columns gq, Columns gk, Columns gv);

// ---- last-position columns: x_last[:, i] = x[:, i·T + T − 1] ----
void gather_last(const Matrix& x, std::size_t context, Matrix& x_last);
void scatter_add_last(const Matrix& g_last, std::size_t context, Matrix& g);
void add_to(const Matrix& x, Matrix& y);  // y += x

}  // namespace pgdx::model::transformer_layers
