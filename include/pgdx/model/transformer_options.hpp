#pragma once
// Options of the decoder-only transformer (model/transformer.hpp): plain struct, defaults are the
// modular-addition experiments' (p = 97: tokens [a, '+', b, '='], vocabulary 99), validated once.
#include <cstddef>

namespace pgdx::model {

struct TransformerOptions {
  std::size_t vocab = 99;         // token ids 0 … vocab − 1; also the number of logits
  std::size_t context = 4;        // tokens per sample (the input dimension)
  std::size_t max_positions = 5;  // rows of the positional embedding (≥ context; PyTorch's table size)
  std::size_t width = 128;        // d, the residual stream
  std::size_t heads = 4;          // d must be a multiple of heads
  std::size_t blocks = 2;
  std::size_t mlp_width = 512;
  bool bias = true;               // false: no biases in any linear map (LayerNorm keeps γ and β)
  bool final_norm = true;         // LayerNorm before the head

  // Throws std::invalid_argument naming the field (model.transformer.<field>).
  void validate() const;
};

// The length of θ for these options (the layout is in transformer.hpp).
std::size_t transformer_parameter_count(const TransformerOptions& o);
// Flops (2 per multiply-add) of the dense products of one sample's forward pass: every block's
// projections and MLP at all positions, except the last block, which needs keys and values at
// every position but queries, the output projection and the MLP at the last one only; attention
// scores and weighted values; the head. A jvp or a vjp costs about two forward passes.
double transformer_forward_flops(const TransformerOptions& o);
// Doubles the forward cache holds per sample (activations kept for jvp and vjp).
double transformer_cached_doubles(const TransformerOptions& o);

}  // namespace pgdx::model
