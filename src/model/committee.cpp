#include "pgdx/model/committee.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/model/initializers.hpp"
#include "pgdx/model/model_registry.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::model {
namespace {

using linalg::Op;

double activation(Activation act, double epsilon, double z) {
  switch (act) {
    case Activation::polynomial: return z + 0.5 * epsilon * z * z;
    case Activation::quadratic: return z * z;
    case Activation::tanh: return std::tanh(z);
    case Activation::relu: return z > 0.0 ? z : 0.0;
    case Activation::identity: break;
    case Activation::gelu: throw std::logic_error("Committee: gelu is rejected by MlpOptions::validate");
  }
  return z;
}

double slope(Activation act, double epsilon, double z) {
  switch (act) {
    case Activation::polynomial: return 1.0 + epsilon * z;
    case Activation::quadratic: return 2.0 * z;
    case Activation::tanh: {
      const double t = std::tanh(z);
      return 1.0 - t * t;
    }
    case Activation::relu: return z > 0.0 ? 1.0 : 0.0;
    case Activation::identity: break;
    case Activation::gelu: throw std::logic_error("Committee: gelu is rejected by MlpOptions::validate");
  }
  return 1.0;
}

// h (H × n) = scale · W x, W row-major H × D (= column-major D × H).
void hidden_preactivation(const std::vector<double>& w, std::size_t d, std::size_t h, double scale, const Matrix& x,
                          Matrix& out) {
  out.resize(h, x.cols());
  linalg::gemm(Op::transpose, Op::none, static_cast<int>(h), static_cast<int>(x.cols()), static_cast<int>(d), scale,
               w.data(), static_cast<int>(d), x.data(), static_cast<int>(d), 0.0, out.data(), static_cast<int>(h));
}

}  // namespace

Committee::Committee(const MlpOptions& options, std::uint64_t seed) : options_(options) {
  options_.validate();
  if (options_.kind != ModelKind::committee || options_.layers.size() != 3 || options_.layers[2] != 1)
    throw std::invalid_argument("model.layers: a committee is [D, H, 1]");
  inputs_ = options_.layers[0];
  hidden_ = options_.layers[1];
  input_scale_ = 1.0 / std::sqrt(static_cast<double>(inputs_));
  theta_.resize(hidden_ * inputs_);
  Rng rng(seed, Stream::init);
  for (double& w : theta_) w = options_.init_scale * initial_value(options_.init, inputs_, hidden_, rng);
  theta0_ = theta_;
}

void Committee::set_params(const std::vector<double>& theta) {
  if (theta.size() != theta_.size())
    throw std::invalid_argument("Committee::set_params: got " + std::to_string(theta.size()) + " values, model has " +
                                std::to_string(theta_.size()));
  theta_ = theta;
  ++version_;
}

void Committee::ensure_forward(const Matrix& x) {
  if (x.rows() != inputs_)
    throw std::invalid_argument("Committee: input has " + std::to_string(x.rows()) + " rows, model expects " +
                                std::to_string(inputs_));
  if (cached_x_ == x.data() && cached_cols_ == x.cols() && cached_version_ == version_) return;
  hidden_preactivation(theta_, inputs_, hidden_, input_scale_, x, h_);
  slope_.resize(h_.rows(), h_.cols());
  const double weight = options_.output_scale / static_cast<double>(hidden_);
  for (std::size_t i = 0; i < h_.size(); ++i)
    slope_.data()[i] = weight * slope(options_.activation, options_.activation_epsilon, h_.data()[i]);
  cached_x_ = x.data();
  cached_cols_ = x.cols();
  cached_version_ = version_;
}

void Committee::readout(const Matrix& h, Matrix& f) const {
  f.resize(1, h.cols());
  const double weight = options_.output_scale / static_cast<double>(hidden_);
  for (std::size_t j = 0; j < h.cols(); ++j) {
    const double* col = h.col(j);
    double sum = 0.0;
    for (std::size_t i = 0; i < hidden_; ++i) sum += activation(options_.activation, options_.activation_epsilon, col[i]);
    f.data()[j] = weight * sum;
  }
}

void Committee::forward(const Matrix& x, Matrix& f) {
  ensure_forward(x);
  readout(h_, f);
  if (!options_.centered) return;
  const Matrix& f0 = initial_output(x);
  for (std::size_t j = 0; j < f.size(); ++j) f.data()[j] -= f0.data()[j];
}

const Matrix& Committee::initial_output(const Matrix& x) {
  constexpr std::size_t kRemembered = 4;
  for (std::size_t k = 0; k < initial_outputs_.size(); ++k) {
    const Matrix& seen = initial_outputs_[k].x;
    if (seen.cols() == x.cols() && seen.storage() == x.storage()) {
      std::rotate(initial_outputs_.begin() + static_cast<long>(k), initial_outputs_.begin() + static_cast<long>(k) + 1,
                  initial_outputs_.end());
      return initial_outputs_.back().f0;
    }
  }
  if (initial_outputs_.size() == kRemembered) initial_outputs_.erase(initial_outputs_.begin());
  initial_outputs_.push_back({x, Matrix()});
  hidden_preactivation(theta0_, inputs_, hidden_, input_scale_, x, h0_);
  readout(h0_, initial_outputs_.back().f0);
  return initial_outputs_.back().f0;
}

void Committee::vjp(const Matrix& x, const Matrix& r, std::vector<double>& grad) {
  ensure_forward(x);
  weighted_ = slope_;  // (s/H) φ'(h_iμ) r_μ
  for (std::size_t j = 0; j < weighted_.cols(); ++j)
    for (std::size_t i = 0; i < hidden_; ++i) weighted_.col(j)[i] *= r.data()[j];
  grad.assign(theta_.size(), 0.0);
  // ∂/∂W (row-major H × D = column-major D × H) = x · weightedᵀ / √D.
  linalg::gemm(Op::none, Op::transpose, static_cast<int>(inputs_), static_cast<int>(hidden_),
               static_cast<int>(x.cols()), input_scale_, x.data(), static_cast<int>(inputs_), weighted_.data(),
               static_cast<int>(hidden_), 0.0, grad.data(), static_cast<int>(inputs_));
}

void Committee::jvp(const Matrix& x, const std::vector<double>& v, Matrix& jv) {
  ensure_forward(x);
  hidden_preactivation(v, inputs_, hidden_, input_scale_, x, hv_);
  jv.resize(1, x.cols());
  for (std::size_t j = 0; j < x.cols(); ++j) {
    double sum = 0.0;
    for (std::size_t i = 0; i < hidden_; ++i) sum += slope_.col(j)[i] * hv_.col(j)[i];
    jv.data()[j] = sum;
  }
}

void Committee::jacobian_transposed(const Matrix& x, Matrix& jt) {
  ensure_forward(x);
  jt.resize(theta_.size(), x.cols());
  for (std::size_t j = 0; j < x.cols(); ++j) {
    double* column = jt.col(j);
    for (std::size_t i = 0; i < hidden_; ++i)
      for (std::size_t k = 0; k < inputs_; ++k) column[i * inputs_ + k] = slope_.col(j)[i] * x.col(j)[k] * input_scale_;
  }
}

bool Committee::gram_factors(const Matrix& x, GramFactors& out) {
  ensure_forward(x);
  out.inputs.assign(1, x);
  for (double& v : out.inputs[0].storage()) v *= input_scale_;
  out.signals.assign(1, slope_);
  out.bias_term = 0.0;
  return true;
}

ModelEntry committee_entry() {
  ModelEntry e;
  e.kind = ModelKind::committee;
  e.capabilities = [](const MlpOptions&) {
    ModelCapabilities c;
    c.structured_gram = true;  // one dense layer's factors
    c.why_no_parameter_gram = "model.kind: use model.kind = \"mlp\"";
    c.why_no_input_derivatives = "model.kind: use model.kind = \"mlp\"";
    return c;
  };
  e.parameter_count = [](const MlpOptions& o) { return o.layers[0] * o.layers[1]; };  // the readout is frozen
  e.make = [](const MlpOptions& o, std::uint64_t seed) { return std::make_unique<Committee>(o, seed); };
  return e;
}

}  // namespace pgdx::model
