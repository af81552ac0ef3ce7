#include "pgdx/model/mlp_laplacian.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "pgdx/linalg/blas.hpp"

namespace pgdx::model {
namespace {

using linalg::Op;

// σ and its first three derivatives, elementwise.
void activation_derivatives(Activation act, double epsilon, const Matrix& z, Matrix& a, Matrix& s1, Matrix& s2, Matrix& s3) {
  for (Matrix* m : {&a, &s1, &s2, &s3}) m->resize(z.rows(), z.cols());
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double v = z.data()[i];
    double f = v, d1 = 1.0, d2 = 0.0, d3 = 0.0;
    if (act == Activation::tanh) {
      const double t = std::tanh(v);
      f = t;
      d1 = 1.0 - t * t;
      d2 = -2.0 * t * d1;
      d3 = (6.0 * t * t - 2.0) * d1;
    } else if (act == Activation::quadratic) {
      f = v * v;
      d1 = 2.0 * v;
      d2 = 2.0;
      d3 = 0.0;
    } else if (act == Activation::polynomial) {
      f = v + 0.5 * epsilon * v * v;
      d1 = 1.0 + epsilon * v;
      d2 = epsilon;
    }
    a.data()[i] = f;
    s1.data()[i] = d1;
    s2.data()[i] = d2;
    s3.data()[i] = d3;
  }
}

// out (rows × n) = W · in, W stored row-major rows × cols (= column-major cols × rows).
void apply_weights(const double* w, std::size_t rows, std::size_t cols, const Matrix& in, Matrix& out) {
  out.resize(rows, in.cols());
  linalg::gemm(Op::transpose, Op::none, static_cast<int>(rows), static_cast<int>(in.cols()), static_cast<int>(cols),
               1.0, w, static_cast<int>(cols), in.data(), static_cast<int>(cols), 0.0, out.data(),
               static_cast<int>(rows));
}

// out (cols × n) = Wᵀ · in.
void apply_weights_transposed(const double* w, std::size_t rows, std::size_t cols, const Matrix& in, Matrix& out) {
  out.resize(cols, in.cols());
  linalg::gemm(Op::none, Op::none, static_cast<int>(cols), static_cast<int>(in.cols()), static_cast<int>(rows), 1.0,
               w, static_cast<int>(cols), in.data(), static_cast<int>(rows), 0.0, out.data(),
               static_cast<int>(cols));
}

// grad_W (column-major cols × rows, i.e. W's row-major storage) += input · adjointᵀ.
void accumulate_weight_gradient(const Matrix& input, const Matrix& adjoint, double* grad_w) {
  linalg::gemm(Op::none, Op::transpose, static_cast<int>(input.rows()), static_cast<int>(adjoint.rows()),
               static_cast<int>(input.cols()), 1.0, input.data(), static_cast<int>(input.rows()), adjoint.data(),
               static_cast<int>(adjoint.rows()), 1.0, grad_w, static_cast<int>(input.rows()));
}

}  // namespace

MlpLaplacian::MlpLaplacian(const Mlp& mlp) : mlp_(mlp) {
  if (mlp.output_dim() != 1)
    throw std::invalid_argument("a differential-operator residual needs a model with one output (model.layers)");
  if (mlp.options().activation == Activation::relu)
    throw std::invalid_argument(
        "model.activation: a differential-operator residual needs a twice-differentiable activation, not relu");
  layers_.resize(mlp.num_layers());
}

void MlpLaplacian::ensure_forward(const Matrix& x) {
  if (x.rows() != mlp_.input_dim())
    throw std::invalid_argument("MlpLaplacian: input has " + std::to_string(x.rows()) + " rows, model expects " +
                                std::to_string(mlp_.input_dim()));
  if (cached_x_ == x.data() && cached_cols_ == x.cols() && cached_version_ == mlp_.params_version()) return;
  const auto& widths = mlp_.options().layers;
  const std::vector<double>& theta = mlp_.params();
  const std::size_t n = x.cols(), d = widths.front(), count = layers_.size();
  for (std::size_t l = 0; l < count; ++l) {
    Layer& layer = layers_[l];
    const std::size_t in = widths[l], out = widths[l + 1];
    const double* w = theta.data() + mlp_.weight_offset(l);
    const Matrix& input = l == 0 ? x : layers_[l - 1].a;
    apply_weights(w, out, in, input, layer.z);
    if (mlp_.options().bias) {
      const double* b = theta.data() + mlp_.bias_offset(l);
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t o = 0; o < out; ++o) layer.z(o, j) += b[o];
    }
    layer.dz.resize(d);
    layer.ddz.resize(d);
    for (std::size_t k = 0; k < d; ++k) {
      if (l == 0) {  // ∂x/∂x_k = e_k, ∂²x/∂x_k² = 0
        layer.dz[k].resize(out, n);
        for (std::size_t j = 0; j < n; ++j)
          for (std::size_t o = 0; o < out; ++o) layer.dz[k](o, j) = w[o * in + k];
        layer.ddz[k].resize(out, n);
        layer.ddz[k].fill(0.0);
      } else {
        apply_weights(w, out, in, layers_[l - 1].da[k], layer.dz[k]);
        apply_weights(w, out, in, layers_[l - 1].dda[k], layer.ddz[k]);
      }
    }
    if (l + 1 == count) break;  // the output layer is affine
    activation_derivatives(mlp_.options().activation, mlp_.options().activation_epsilon, layer.z, layer.a, layer.s1, layer.s2, layer.s3);
    layer.da.resize(d);
    layer.dda.resize(d);
    for (std::size_t k = 0; k < d; ++k) {
      layer.da[k].resize(out, n);
      layer.dda[k].resize(out, n);
      for (std::size_t i = 0; i < layer.z.size(); ++i) {
        const double dz = layer.dz[k].data()[i];
        layer.da[k].data()[i] = layer.s1.data()[i] * dz;
        layer.dda[k].data()[i] = layer.s2.data()[i] * dz * dz + layer.s1.data()[i] * layer.ddz[k].data()[i];
      }
    }
  }
  cached_x_ = x.data();
  cached_cols_ = n;
  cached_version_ = mlp_.params_version();
}

void MlpLaplacian::evaluate(const Matrix& x, Matrix& u, Matrix& laplacian) {
  ensure_forward(x);
  const Layer& top = layers_.back();
  const double s = mlp_.options().output_scale;
  const std::size_t n = x.cols();
  u.resize(1, n);
  laplacian.resize(1, n);
  for (std::size_t j = 0; j < n; ++j) {
    u(0, j) = s * top.z(0, j);
    double sum = 0.0;
    for (const Matrix& ddz : top.ddz) sum += ddz(0, j);
    laplacian(0, j) = s * sum;
  }
}

void MlpLaplacian::reverse(const Matrix& x, const double* value_weight, const double* laplacian_weight,
                           std::vector<double>* grad, Matrix* jt) {
  ensure_forward(x);
  const auto& widths = mlp_.options().layers;
  const std::vector<double>& theta = mlp_.params();
  const bool bias = mlp_.options().bias;
  const std::size_t n = x.cols(), d = widths.front(), p = theta.size();
  const double s = mlp_.options().output_scale;
  if (grad) grad->assign(p, 0.0);
  if (jt) {
    jt->resize(p, n);
    jt->fill(0.0);
  }
  // Adjoints at the output: Φ = Σ_i α_i s z_i + β_i s Σ_k ∂²z_i/∂x_k², nothing on ∂z/∂x_k.
  Adjoint& adj = adjoint_;
  adj.z.resize(1, n);
  adj.dz.resize(d);
  adj.ddz.resize(d);
  for (std::size_t j = 0; j < n; ++j) adj.z(0, j) = s * value_weight[j];
  for (std::size_t k = 0; k < d; ++k) {
    adj.dz[k].resize(1, n);
    adj.dz[k].fill(0.0);
    adj.ddz[k].resize(1, n);
    for (std::size_t j = 0; j < n; ++j) adj.ddz[k](0, j) = s * laplacian_weight[j];
  }
  Matrix back_a, back_da, back_dda;
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const std::size_t in = widths[l], out = widths[l + 1];
    const double* w = theta.data() + mlp_.weight_offset(l);
    const Matrix& input = l == 0 ? x : layers_[l - 1].a;
    // θ-gradient of layer l: z = W a + b, ∂z/∂x_k = W ∂a/∂x_k, ∂²z/∂x_k² = W ∂²a/∂x_k².
    if (grad) {
      double* gw = grad->data() + mlp_.weight_offset(l);
      accumulate_weight_gradient(input, adj.z, gw);
      for (std::size_t k = 0; k < d; ++k) {
        if (l == 0) {  // ∂a/∂x_k = e_k: only column k of W sees ∂z/∂x_k
          for (std::size_t j = 0; j < n; ++j)
            for (std::size_t o = 0; o < out; ++o) gw[o * in + k] += adj.dz[k](o, j);
        } else {
          accumulate_weight_gradient(layers_[l - 1].da[k], adj.dz[k], gw);
          accumulate_weight_gradient(layers_[l - 1].dda[k], adj.ddz[k], gw);
        }
      }
      if (bias) {
        double* gb = grad->data() + mlp_.bias_offset(l);
        for (std::size_t j = 0; j < n; ++j)
          for (std::size_t o = 0; o < out; ++o) gb[o] += adj.z(o, j);
      }
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        double* gw = jt->col(j) + mlp_.weight_offset(l);
        for (std::size_t o = 0; o < out; ++o) {
          double* row = gw + o * in;
          const double az = adj.z(o, j);
          for (std::size_t q = 0; q < in; ++q) row[q] += az * input(q, j);
          for (std::size_t k = 0; k < d; ++k) {
            if (l == 0) {
              row[k] += adj.dz[k](o, j);
              continue;
            }
            const double adz = adj.dz[k](o, j), addz = adj.ddz[k](o, j);
            const double* da = layers_[l - 1].da[k].col(j);
            const double* dda = layers_[l - 1].dda[k].col(j);
            for (std::size_t q = 0; q < in; ++q) row[q] += adz * da[q] + addz * dda[q];
          }
        }
        if (bias) {
          double* gb = jt->col(j) + mlp_.bias_offset(l);
          for (std::size_t o = 0; o < out; ++o) gb[o] += adj.z(o, j);
        }
      }
    }
    if (l == 0) break;
    // Back through W, then through the activation of layer l−1:
    //   a = σ(z),  a_k' = σ'(z) z_k',  a_k'' = σ''(z) z_k'² + σ'(z) z_k''.
    const Layer& below = layers_[l - 1];
    Adjoint& next = previous_;
    apply_weights_transposed(w, out, in, adj.z, back_a);
    next.z.resize(in, n);
    next.dz.resize(d);
    next.ddz.resize(d);
    for (std::size_t i = 0; i < back_a.size(); ++i) next.z.data()[i] = below.s1.data()[i] * back_a.data()[i];
    for (std::size_t k = 0; k < d; ++k) {
      apply_weights_transposed(w, out, in, adj.dz[k], back_da);
      apply_weights_transposed(w, out, in, adj.ddz[k], back_dda);
      next.dz[k].resize(in, n);
      next.ddz[k].resize(in, n);
      for (std::size_t i = 0; i < back_a.size(); ++i) {
        const double s1 = below.s1.data()[i], s2 = below.s2.data()[i], s3 = below.s3.data()[i];
        const double dz = below.dz[k].data()[i], ddz = below.ddz[k].data()[i];
        const double bda = back_da.data()[i], bdda = back_dda.data()[i];
        next.z.data()[i] += s2 * dz * bda + (s3 * dz * dz + s2 * ddz) * bdda;
        next.dz[k].data()[i] = s1 * bda + 2.0 * s2 * dz * bdda;
        next.ddz[k].data()[i] = s1 * bdda;
      }
    }
    std::swap(adjoint_, previous_);
  }
}

void MlpLaplacian::vjp(const Matrix& x, const double* value_weight, const double* laplacian_weight,
                       std::vector<double>& grad) {
  reverse(x, value_weight, laplacian_weight, &grad, nullptr);
}

void MlpLaplacian::jacobian_transposed(const Matrix& x, const double* value_weight, const double* laplacian_weight,
                                       Matrix& jt) {
  reverse(x, value_weight, laplacian_weight, nullptr, &jt);
}

}  // namespace pgdx::model
