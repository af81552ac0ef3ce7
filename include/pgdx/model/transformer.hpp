#pragma once
// Decoder-only transformer (post-LayerNorm, causal), equivalent to a PyTorch nn.Module with
// nn.MultiheadAttention: h₀ = E[tok] + P[pos]; per block
//   x = LN1(x + MHA(x)),  x = LN2(x + W2 act(W1 x + b1) + b2);
// then an optional final LayerNorm and a linear head. The output is the head's logits at the LAST
// position only (modular addition: [a, '+', b, '='] → c), so the last block computes queries,
// residuals, norms and MLP only there (keys and values still need every position).
// X is context × n (token ids stored as doubles), F is vocab × n.
//
// θ layout = PyTorch state_dict order; every weight row-major out × in, d = width, F = mlp_width,
// V = vocab, "(b)" only when bias is true:
//   tok_emb.weight            V × d
//   pos_emb.weight            max_positions × d
//   for each block:
//     attn.in_proj_weight     3d × d   (rows [0,d) query, [d,2d) key, [2d,3d) value; head h = rows h·d/H … of each)
//     attn.in_proj_bias       3d       (b)
//     attn.out_proj.weight    d × d
//     attn.out_proj.bias      d        (b)
//     ln1.weight, ln1.bias    d, d
//     mlp.fc1.weight          F × d
//     mlp.fc1.bias            F        (b)
//     mlp.fc2.weight          d × F
//     mlp.fc2.bias            d        (b)
//     ln2.weight, ln2.bias    d, d
//   ln.weight, ln.bias        d, d     (only when final_norm)
//   head.weight               V × d
//   head.bias                 V        (b)
// Defaults (V 99, d 128, H 4, 2 blocks, F 512, max_positions 5): p = 422 883.
// Initialisation (PyTorch defaults): embeddings N(0, 1); in_proj weight Xavier-uniform
// U(±√(6/(d + 3d))), in_proj bias 0; out_proj weight U(±1/√d), bias 0; other Linear weights and
// biases U(±1/√fan_in); LayerNorm γ = 1, β = 0. Drawn in θ order from the init stream of the seed.
#include <cstdint>
#include <limits>
#include <memory>

#include "pgdx/model/mlp_options.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/model/transformer_options.hpp"

namespace pgdx::model {

namespace transformer_detail {
struct Cache;  // forward activations (src/model/transformer_model.hpp)
}

class Transformer final : public Model {
 public:
  // activation: gelu or relu.
  Transformer(const TransformerOptions& options, Activation activation, std::uint64_t seed);
  ~Transformer() override;
  Transformer(Transformer&&) noexcept;
  Transformer& operator=(Transformer&&) noexcept;

  std::size_t input_dim() const override { return options_.context; }
  std::size_t output_dim() const override { return options_.vocab; }
  std::size_t num_params() const override { return theta_.size(); }
  const std::vector<double>& params() const override { return theta_; }
  void set_params(const std::vector<double>& theta) override;

  void forward(const Matrix& x, Matrix& f) override;
  void vjp(const Matrix& x, const Matrix& r, std::vector<double>& grad) override;
  void jvp(const Matrix& x, const std::vector<double>& v, Matrix& jv) override;
  // n·C vjps with unit cotangents: for tests on tiny models only.
  void jacobian_transposed(const Matrix& x, Matrix& jt) override;
  void forget_cached_forward() override {
    for (CacheEntry& e : caches_) e.x = nullptr;
  }

  // Logits at every position (vocab × n·context, column i·context + t), every block computed in
  // full: the reference the last-position-only forward is tested against.
  void forward_all_positions(const Matrix& x, Matrix& f);

  const TransformerOptions& options() const { return options_; }
  Activation activation() const { return activation_; }

  static constexpr std::size_t absent = std::numeric_limits<std::size_t>::max();
  // Offsets into θ (and into any parameter-shaped vector); `absent` for a bias the options omit.
  struct BlockOffsets {
    std::size_t in_w, in_b, out_w, out_b, ln1_g, ln1_b, fc1_w, fc1_b, fc2_w, fc2_b, ln2_g, ln2_b;
  };
  struct Offsets {
    std::size_t tok, pos;
    std::vector<BlockOffsets> blocks;
    std::size_t lnf_g, lnf_b, head_w, head_b;
    std::size_t total;
  };
  const Offsets& offsets() const { return offsets_; }

 private:
  // The cached activations of this x at this θ, computed if no entry holds them.
  transformer_detail::Cache& ensure_forward(const Matrix& x);
  // Fills c; all_positions computes every block at every position (a test reference).
  void run_forward(const Matrix& x, bool all_positions, transformer_detail::Cache& c);

  TransformerOptions options_;
  Activation activation_;
  Offsets offsets_;
  std::vector<double> theta_;

  // Forward caches of the last few inputs (least recently used goes first): a problem with fixed
  // sample blocks (optimizer.sample_block) calls the model once per block, and a GGN–CG step's
  // products must find every block's activations. Keyed by the input's address, columns and θ.
  struct CacheEntry {
    const double* x = nullptr;
    std::size_t cols = 0;
    std::uint64_t version = 0, last_used = 0;
    std::unique_ptr<transformer_detail::Cache> cache;
  };
  static constexpr std::size_t kCacheEntries = 16;
  std::vector<CacheEntry> caches_;
  std::uint64_t uses_ = 0;
  std::uint64_t version_ = 1;  // bumped by set_params
};

}  // namespace pgdx::model
