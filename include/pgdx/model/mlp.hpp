#pragma once
// Fully connected network: z_l = W_l a_{l−1} + b_l, a_l = act(z_l) for hidden layers,
// f = s · z_L. θ layout: layer by layer, W_l (out × in, row-major) then b_l.
#include <array>
#include <cstdint>

#include "pgdx/model/mlp_options.hpp"
#include "pgdx/model/model.hpp"

namespace pgdx::model {

class Mlp final : public Model {
 public:
  // Draws θ₀ from the init stream of `seed` (layer by layer in the θ order), times init_scale.
  Mlp(const MlpOptions& options, std::uint64_t seed);

  std::size_t input_dim() const override { return options_.layers.front(); }
  std::size_t output_dim() const override { return options_.layers.back(); }
  std::size_t num_params() const override { return theta_.size(); }
  const std::vector<double>& params() const override { return theta_; }
  void set_params(const std::vector<double>& theta) override;

  void forward(const Matrix& x, Matrix& f) override;
  void vjp(const Matrix& x, const Matrix& r, std::vector<double>& grad) override;
  void jvp(const Matrix& x, const std::vector<double>& v, Matrix& jv) override;
  void jacobian_transposed(const Matrix& x, Matrix& jt) override;
  void forget_cached_forward() override;
  bool gram_factors(const Matrix& x, GramFactors& out) override;
  bool parameter_gram(const Matrix& x, Matrix& g) override;

  const MlpOptions& options() const { return options_; }
  std::size_t num_layers() const { return options_.layers.size() - 1; }
  // Offsets of W_l and b_l in θ (l = 0-based layer index); bias offset is meaningless if !bias.
  std::size_t weight_offset(std::size_t l) const { return weight_offset_[l]; }
  std::size_t bias_offset(std::size_t l) const { return bias_offset_[l]; }
  // Changes whenever θ does: lets companions (MlpLaplacian) cache per θ as the model does.
  std::uint64_t params_version() const { return version_; }

 private:
  // Recomputes the cached activations unless they belong to this x and this θ.
  void ensure_forward(const Matrix& x);
  // G_l for every layer (d_{l+1} × N, N = n·C): G_{L−1} = s·e_c, G_{l−1} = (W_lᵀ G_l) ⊙ act'(z_{l−1}).
  void output_signals(std::size_t n, std::vector<Matrix>& g);
  // act'(z) for hidden layer l, evaluated from the cached z and a.
  void activation_derivative(std::size_t l, Matrix& out) const;

  MlpOptions options_;
  std::vector<double> theta_;
  std::vector<std::size_t> weight_offset_;
  std::vector<std::size_t> bias_offset_;

  // Forward cache: z[l] (d_{l+1} × n) and a[l] = act(z[l]) for hidden layers, of input x at θ
  // version `version`. The trainer evaluates one θ on several inputs in turn (the batch, the
  // training and test sets, the kernel probe): with one slot each evaluation evicted the last and
  // the next step recomputed its batch's forward pass (tanh is half of a Fig. 3 run's time). So the
  // current slot has a few spares, most recently used first; a hit swaps buffers, no copy.
  struct ForwardSlot {
    std::vector<Matrix> z, a;
    const double* x = nullptr;
    std::size_t cols = 0;
    std::uint64_t version = 0;
    bool holds(const Matrix& input, std::uint64_t theta_version) const {
      return x == input.data() && cols == input.cols() && version == theta_version;
    }
  };
  static constexpr std::size_t kSpareForwards = 3;
  ForwardSlot current_;
  std::array<ForwardSlot, kSpareForwards> spares_;
  std::uint64_t version_ = 1;  // bumped by set_params
  // parameter_gram's work matrices, kept between calls: at Fig. 5 size they are ~200 MB, and
  // allocating them every step cost page faults on every rank (measured 7 s vs 3.7 s per step).
  Matrix pg_derivative_, pg_z_, pg_at_, pg_zz_, pg_za_, pg_aa_, pg_w2tw2_;
};

}  // namespace pgdx::model
