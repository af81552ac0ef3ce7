#pragma once
// One transformer block (x = LN1(x + MHA(x)); x = LN2(x + MLP(x))) and its forward cache, with
// forward, jvp and vjp over the layer functions of transformer_layers.hpp. Internal to the model
// module.
#include <vector>

#include "pgdx/model/transformer.hpp"
#include "transformer_layers.hpp"

namespace pgdx::model::transformer_detail {

using linalg::Matrix;

// Pointers to one block's parameters inside a parameter-shaped vector (θ, a direction or a
// gradient); null for an absent bias.
template <class T>
struct BlockParams {
  T *in_w, *in_b, *out_w, *out_b, *ln1_g, *ln1_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b, *ln2_g, *ln2_b;
};
template <class T>
T* at(T* base, std::size_t offset) {
  return offset == Transformer::absent ? nullptr : base + offset;
}
template <class T>
BlockParams<T> block_params(T* base, const Transformer::BlockOffsets& o) {
  return {at(base, o.in_w),  at(base, o.in_b),  at(base, o.out_w), at(base, o.out_b),
          at(base, o.ln1_g), at(base, o.ln1_b), at(base, o.fc1_w), at(base, o.fc1_b),
          at(base, o.fc2_w), at(base, o.fc2_b), at(base, o.ln2_g), at(base, o.ln2_b)};
}

struct BlockShape {
  std::size_t samples, context, width, heads, mlp_width;
  Activation activation;
  // The last block: queries and everything after attention only at position T − 1.
  bool last_only;
  transformer_layers::AttentionShape attention() const {
    return {samples, context, heads, width / heads, last_only};
  }
};

// A block's forward activations. "Query columns" are n·T in a full block, n in a last-only one.
struct BlockCache {
  Matrix qkv;        // full: packed q, k, v (3d × n·T); last-only: k, v (2d × n·T)
  Matrix q;          // last-only: queries (d × n)
  Matrix x_last;     // last-only: the block input at the last position (d × n)
  std::vector<double> probs;
  Matrix attn;       // attention output before out_proj (d × query columns)
  transformer_layers::LayerNormCache ln1, ln2;
  Matrix x1;         // LN1 output
  Matrix a, slope;   // act(W1 x1 + b1) and act' (F × query columns)
  Matrix out;        // LN2 output, the block output (d × query columns)
};

// Work matrices of block_forward/jvp/vjp, kept between calls: fresh ones cost page faults and
// zero-fills on every call (about a tenth of a GGN product at the default size).
struct BlockScratch {
  Matrix a, b, c, d, e, f, g;
};

void block_forward(const BlockShape& s, const BlockParams<const double>& p, const Matrix& x, BlockCache& c,
                   BlockScratch& w);
// dout = ∂out · (dp, dx); dx is the tangent of the block input (d × n·T).
void block_jvp(const BlockShape& s, const BlockParams<const double>& p, const BlockParams<const double>& dp,
               const Matrix& x, const BlockCache& c, const Matrix& dx, Matrix& dout, BlockScratch& w);
// gp += ∂/∂p of ⟨gout, out⟩; gx (d × n·T) is overwritten with ∂/∂x.
void block_vjp(const BlockShape& s, const BlockParams<const double>& p, const BlockParams<double>& gp,
               const Matrix& x, const BlockCache& c, const Matrix& gout, Matrix& gx, BlockScratch& w);

// The whole model's forward activations (Transformer keeps one behind a pointer).
struct Cache {
  Matrix h0;                       // embeddings (d × n·T)
  std::vector<BlockCache> blocks;
  transformer_layers::LayerNormCache lnf;
  Matrix xf;                       // input of the head (d × n, or d × n·T for all positions)
  BlockScratch scratch;
  Matrix tangent, tangent_next;    // jvp's and vjp's running (co)tangents, kept like the scratch
};

}  // namespace pgdx::model::transformer_detail
