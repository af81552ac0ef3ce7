#include "pgdx/model/mlp.hpp"

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

void apply_activation(Activation act, double epsilon, const Matrix& z, Matrix& a) {
  a.resize(z.rows(), z.cols());
  const double* zp = z.data();
  double* ap = a.data();
  const std::size_t n = z.size();
  switch (act) {
    case Activation::tanh:
      for (std::size_t i = 0; i < n; ++i) ap[i] = std::tanh(zp[i]);
      break;
    case Activation::relu:
      for (std::size_t i = 0; i < n; ++i) ap[i] = zp[i] > 0.0 ? zp[i] : 0.0;
      break;
    case Activation::quadratic:
      for (std::size_t i = 0; i < n; ++i) ap[i] = zp[i] * zp[i];
      break;
    case Activation::identity:
      for (std::size_t i = 0; i < n; ++i) ap[i] = zp[i];
      break;
    case Activation::polynomial:
      for (std::size_t i = 0; i < n; ++i) ap[i] = zp[i] + 0.5 * epsilon * zp[i] * zp[i];
      break;
    case Activation::gelu: throw std::logic_error("Mlp: gelu is rejected by MlpOptions::validate");
  }
}

// z (rows × n) += b broadcast over columns.
void add_bias(const double* b, Matrix& z) {
  for (std::size_t j = 0; j < z.cols(); ++j) {
    double* col = z.col(j);
    for (std::size_t i = 0; i < z.rows(); ++i) col[i] += b[i];
  }
}

void multiply_elementwise(const Matrix& factor, Matrix& inout) {
  const double* f = factor.data();
  double* p = inout.data();
  for (std::size_t i = 0; i < inout.size(); ++i) p[i] *= f[i];
}

void check_input(const Matrix& x, std::size_t d_in) {
  if (x.rows() != d_in)
    throw std::invalid_argument("Mlp: input has " + std::to_string(x.rows()) + " rows, model expects " +
                                std::to_string(d_in));
}

}  // namespace

Mlp::Mlp(const MlpOptions& options, std::uint64_t seed) : options_(options) {
  options_.validate();
  const std::size_t layers = num_layers();
  std::size_t offset = 0;
  for (std::size_t l = 0; l < layers; ++l) {
    weight_offset_.push_back(offset);
    offset += options_.layers[l] * options_.layers[l + 1];
    bias_offset_.push_back(offset);
    if (options_.bias) offset += options_.layers[l + 1];
  }
  theta_.assign(offset, 0.0);
  Rng rng(seed, Stream::init);
  for (std::size_t l = 0; l < layers; ++l) {
    const std::size_t in = options_.layers[l];
    const std::size_t out = options_.layers[l + 1];
    for (std::size_t k = 0; k < in * out; ++k)
      theta_[weight_offset_[l] + k] = options_.init_scale * initial_value(options_.init, in, out, rng);
    if (options_.bias)
      for (std::size_t j = 0; j < out; ++j)
        theta_[bias_offset_[l] + j] = options_.init_scale * initial_value(options_.bias_init, in, out, rng);
  }
  current_.z.resize(layers);
  current_.a.resize(layers);
  for (ForwardSlot& spare : spares_) {
    spare.z.resize(layers);
    spare.a.resize(layers);
  }
}

void Mlp::set_params(const std::vector<double>& theta) {
  if (theta.size() != theta_.size())
    throw std::invalid_argument("Mlp::set_params: got " + std::to_string(theta.size()) + " values, model has " +
                                std::to_string(theta_.size()));
  theta_ = theta;
  ++version_;
}

void Mlp::ensure_forward(const Matrix& x) {
  check_input(x, input_dim());
  if (current_.holds(x, version_)) return;
  // Least recently used last: the current slot becomes the first spare, and either the spare that
  // holds x becomes current, or the last spare's buffers are overwritten.
  std::size_t reuse = kSpareForwards - 1;
  for (std::size_t i = 0; i < kSpareForwards; ++i)
    if (spares_[i].holds(x, version_)) reuse = i;
  std::swap(current_, spares_[reuse]);
  const auto used = spares_.begin() + static_cast<std::ptrdiff_t>(reuse);
  std::rotate(spares_.begin(), used, used + 1);
  if (current_.holds(x, version_)) return;
  const std::size_t n = x.cols();
  const Matrix* input = &x;
  for (std::size_t l = 0; l < num_layers(); ++l) {
    const int in = static_cast<int>(options_.layers[l]);
    const int out = static_cast<int>(options_.layers[l + 1]);
    current_.z[l].resize(static_cast<std::size_t>(out), n);
    // W_l is out × in row-major = in × out column-major, hence the transpose.
    linalg::gemm(Op::transpose, Op::none, out, static_cast<int>(n), in, 1.0, theta_.data() + weight_offset_[l], in,
                 input->data(), in, 0.0, current_.z[l].data(), out);
    if (options_.bias) add_bias(theta_.data() + bias_offset_[l], current_.z[l]);
    if (l + 1 < num_layers()) {
      apply_activation(options_.activation, options_.activation_epsilon, current_.z[l], current_.a[l]);
      input = &current_.a[l];
    }
  }
  current_.x = x.data();
  current_.cols = n;
  current_.version = version_;
}

void Mlp::forget_cached_forward() {
  current_.x = nullptr;
  for (ForwardSlot& spare : spares_) spare.x = nullptr;
}

void Mlp::activation_derivative(std::size_t l, Matrix& out) const {
  const Matrix& z = current_.z[l];
  const Matrix& a = current_.a[l];
  out.resize(z.rows(), z.cols());
  double* o = out.data();
  const std::size_t n = z.size();
  switch (options_.activation) {
    case Activation::tanh:
      for (std::size_t i = 0; i < n; ++i) o[i] = 1.0 - a.data()[i] * a.data()[i];
      break;
    case Activation::relu:
      for (std::size_t i = 0; i < n; ++i) o[i] = z.data()[i] > 0.0 ? 1.0 : 0.0;
      break;
    case Activation::quadratic:
      for (std::size_t i = 0; i < n; ++i) o[i] = 2.0 * z.data()[i];
      break;
    case Activation::identity:
      for (std::size_t i = 0; i < n; ++i) o[i] = 1.0;
      break;
    case Activation::polynomial:
      for (std::size_t i = 0; i < n; ++i) o[i] = 1.0 + options_.activation_epsilon * z.data()[i];
      break;
    case Activation::gelu: throw std::logic_error("Mlp: gelu is rejected by MlpOptions::validate");
  }
}

void Mlp::forward(const Matrix& x, Matrix& f) {
  ensure_forward(x);
  const Matrix& z_out = current_.z.back();
  f.resize(z_out.rows(), z_out.cols());
  for (std::size_t i = 0; i < f.size(); ++i) f.data()[i] = options_.output_scale * z_out.data()[i];
}

void Mlp::vjp(const Matrix& x, const Matrix& r, std::vector<double>& grad) {
  ensure_forward(x);
  const std::size_t n = x.cols();
  if (r.rows() != output_dim() || r.cols() != n) throw std::invalid_argument("Mlp::vjp: cotangent shape mismatch");
  grad.assign(theta_.size(), 0.0);
  Matrix delta(r.rows(), n);  // ∂/∂z_l of ⟨r, f⟩
  for (std::size_t i = 0; i < delta.size(); ++i) delta.data()[i] = options_.output_scale * r.data()[i];
  Matrix next;
  Matrix derivative;
  for (std::size_t l = num_layers(); l-- > 0;) {
    const int in = static_cast<int>(options_.layers[l]);
    const int out = static_cast<int>(options_.layers[l + 1]);
    const Matrix& input = l == 0 ? x : current_.a[l - 1];
    // ∂/∂W_l (in × out column-major) = A_{l−1} Δᵀ
    linalg::gemm(Op::none, Op::transpose, in, out, static_cast<int>(n), 1.0, input.data(), in, delta.data(), out, 0.0,
                 grad.data() + weight_offset_[l], in);
    if (options_.bias) {
      double* gb = grad.data() + bias_offset_[l];
      for (std::size_t j = 0; j < n; ++j)
        for (int o = 0; o < out; ++o) gb[o] += delta(static_cast<std::size_t>(o), j);
    }
    if (l == 0) break;
    next.resize(static_cast<std::size_t>(in), n);
    linalg::gemm(Op::none, Op::none, in, static_cast<int>(n), out, 1.0, theta_.data() + weight_offset_[l], in,
                 delta.data(), out, 0.0, next.data(), in);
    activation_derivative(l - 1, derivative);
    multiply_elementwise(derivative, next);
    std::swap(delta, next);
  }
}

void Mlp::jvp(const Matrix& x, const std::vector<double>& v, Matrix& jv) {
  ensure_forward(x);
  if (v.size() != theta_.size()) throw std::invalid_argument("Mlp::jvp: direction has the wrong length");
  const std::size_t n = x.cols();
  Matrix dz;
  Matrix da;  // tangent of the previous layer's activation (empty for the input layer)
  Matrix derivative;
  for (std::size_t l = 0; l < num_layers(); ++l) {
    const int in = static_cast<int>(options_.layers[l]);
    const int out = static_cast<int>(options_.layers[l + 1]);
    const Matrix& input = l == 0 ? x : current_.a[l - 1];
    dz.resize(static_cast<std::size_t>(out), n);
    // dz = dW a + W da + db
    linalg::gemm(Op::transpose, Op::none, out, static_cast<int>(n), in, 1.0, v.data() + weight_offset_[l], in,
                 input.data(), in, 0.0, dz.data(), out);
    if (l > 0)
      linalg::gemm(Op::transpose, Op::none, out, static_cast<int>(n), in, 1.0, theta_.data() + weight_offset_[l],
                   in, da.data(), in, 1.0, dz.data(), out);
    if (options_.bias) add_bias(v.data() + bias_offset_[l], dz);
    if (l + 1 < num_layers()) {
      activation_derivative(l, derivative);
      multiply_elementwise(derivative, dz);
      std::swap(da, dz);
    }
  }
  jv.resize(dz.rows(), n);
  for (std::size_t i = 0; i < jv.size(); ++i) jv.data()[i] = options_.output_scale * dz.data()[i];
}

void Mlp::output_signals(std::size_t n, std::vector<Matrix>& g) {
  const std::size_t c_out = output_dim();
  const std::size_t rows = n * c_out;
  g.resize(num_layers());
  Matrix& last = g.back();
  last.resize(c_out, rows);
  last.fill(0.0);
  for (std::size_t r = 0; r < rows; ++r) last(r % c_out, r) = options_.output_scale;
  Matrix derivative;
  for (std::size_t l = num_layers() - 1; l > 0; --l) {
    const std::size_t in = options_.layers[l];
    const std::size_t out = options_.layers[l + 1];
    Matrix& next = g[l - 1];
    next.resize(in, rows);
    linalg::gemm(Op::none, Op::none, static_cast<int>(in), static_cast<int>(rows), static_cast<int>(out), 1.0,
                 theta_.data() + weight_offset_[l], static_cast<int>(in), g[l].data(), static_cast<int>(out), 0.0,
                 next.data(), static_cast<int>(in));
    activation_derivative(l - 1, derivative);
    for (std::size_t r = 0; r < rows; ++r) {
      const double* d = derivative.col(r / c_out);
      double* col = next.col(r);
      for (std::size_t k = 0; k < in; ++k) col[k] *= d[k];
    }
  }
}

void Mlp::jacobian_transposed(const Matrix& x, Matrix& jt) {
  ensure_forward(x);
  const std::size_t n = x.cols();
  const std::size_t c_out = output_dim();
  const std::size_t rows = n * c_out;
  jt.resize(theta_.size(), rows);
  std::vector<Matrix> g;
  output_signals(n, g);
  // ∂f_c(x_i)/∂W_l[j, k] = G_l[j, (i,c)]·a_{l−1}[k, i];  ∂f_c(x_i)/∂b_l[j] = G_l[j, (i,c)].
  for (std::size_t l = 0; l < num_layers(); ++l) {
    const std::size_t in = options_.layers[l];
    const std::size_t out = options_.layers[l + 1];
    const Matrix& input = l == 0 ? x : current_.a[l - 1];
    for (std::size_t r = 0; r < rows; ++r) {
      double* column = jt.col(r);
      const double* gr = g[l].col(r);
      const double* ai = input.col(r / c_out);
      double* w = column + weight_offset_[l];
      for (std::size_t j = 0; j < out; ++j)
        for (std::size_t k = 0; k < in; ++k) w[j * in + k] = gr[j] * ai[k];
      if (options_.bias)
        for (std::size_t j = 0; j < out; ++j) column[bias_offset_[l] + j] = gr[j];
    }
  }
}

bool Mlp::gram_factors(const Matrix& x, GramFactors& out) {
  ensure_forward(x);
  output_signals(x.cols(), out.signals);
  out.inputs.resize(num_layers());
  for (std::size_t l = 0; l < num_layers(); ++l) out.inputs[l] = l == 0 ? x : current_.a[l - 1];
  out.bias_term = options_.bias ? 1.0 : 0.0;
  return true;
}

ModelEntry mlp_entry() {
  ModelEntry e;
  e.kind = ModelKind::mlp;
  e.capabilities = [](const MlpOptions& o) {
    ModelCapabilities c;
    c.structured_gram = true;
    c.parameter_gram = o.layers.size() == 3;  // one hidden layer: mlp_parameter_gram.cpp
    if (!c.parameter_gram) c.why_no_parameter_gram = "model.layers: needs one hidden layer";
    // MlpLaplacian: one output and an activation with second derivatives.
    c.input_derivatives = o.layers.back() == 1 && o.activation != Activation::relu;
    if (o.layers.back() != 1)
      c.why_no_input_derivatives = "model.layers: needs one output";
    else if (o.activation == Activation::relu)
      c.why_no_input_derivatives = "model.activation: use tanh, quadratic or identity, not relu";
    return c;
  };
  e.parameter_count = [](const MlpOptions& o) {
    std::size_t p = 0;
    for (std::size_t l = 0; l + 1 < o.layers.size(); ++l) p += o.layers[l] * o.layers[l + 1] + (o.bias ? o.layers[l + 1] : 0);
    return p;
  };
  e.make = [](const MlpOptions& o, std::uint64_t seed) { return std::make_unique<Mlp>(o, seed); };
  return e;
}

}  // namespace pgdx::model
