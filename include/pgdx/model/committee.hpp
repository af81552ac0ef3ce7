#pragma once
// The "committee" network of the polynomial-teacher study (paper Fig. 6, EXPERIMENTS.md §5, after
// Kumar et al.): a frozen unit readout over H hidden units,
//   f(x; W) = s · (1/H) Σ_i φ(w_i·x / √D),   W ∈ R^{H×D}, only W trained (p = H·D),
// and, when centred, the prediction g(x) = f(x; W) − f(x; W₀), so the model starts from zero.
// Its Jacobian is one dense layer's: ∂g/∂W_ik = (s/H) φ'(h_i) x_k/√D, so K = J Jᵀ has the
// structured factors A = x/√D, G = (s/H) φ'(h) (model/gram_factors.hpp).
#include <cstdint>

#include "pgdx/model/mlp_options.hpp"
#include "pgdx/model/model.hpp"

namespace pgdx::model {

class Committee final : public Model {
 public:
  // options.layers = [D, H, 1]; W₀ drawn from the init stream of `seed` (row-major H × D, the θ
  // order), times init_scale; s = output_scale; φ = activation (ε = activation_epsilon).
  Committee(const MlpOptions& options, std::uint64_t seed);

  std::size_t input_dim() const override { return inputs_; }
  std::size_t output_dim() const override { return 1; }
  std::size_t num_params() const override { return theta_.size(); }
  const std::vector<double>& params() const override { return theta_; }
  void set_params(const std::vector<double>& theta) override;

  void forward(const Matrix& x, Matrix& f) override;
  void vjp(const Matrix& x, const Matrix& r, std::vector<double>& grad) override;
  void jvp(const Matrix& x, const std::vector<double>& v, Matrix& jv) override;
  void jacobian_transposed(const Matrix& x, Matrix& jt) override;
  void forget_cached_forward() override { cached_x_ = nullptr; }
  bool gram_factors(const Matrix& x, GramFactors& out) override;

 private:
  // h = W x / √D (H × n) for this x and θ, and the readout weights (s/H) φ'(h).
  void ensure_forward(const Matrix& x);
  // s/H Σ_i φ(h_i) per column of h.
  void readout(const Matrix& h, Matrix& f) const;
  // f(x; W₀) for the centring, remembered for the last few inputs: training set, test set and rays
  // are evaluated over and over with the same contents. Entries are matched on the contents of x
  // (a copy is kept), not its address, so a batch buffer refilled in place is never mistaken.
  const Matrix& initial_output(const Matrix& x);

  MlpOptions options_;
  std::size_t inputs_, hidden_;
  double input_scale_;  // 1/√D
  std::vector<double> theta_, theta0_;

  Matrix h_, slope_, h0_;  // slope_ = (s/H) φ'(h_)
  Matrix weighted_, hv_;   // vjp / jvp work, kept between steps
  struct InitialOutput {
    Matrix x, f0;
  };
  std::vector<InitialOutput> initial_outputs_;  // most recently used last
  const double* cached_x_ = nullptr;
  std::size_t cached_cols_ = 0;
  std::uint64_t cached_version_ = 0, version_ = 1;
};

}  // namespace pgdx::model
