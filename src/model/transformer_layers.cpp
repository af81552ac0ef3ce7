#include "transformer_layers.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "pgdx/linalg/blas.hpp"

namespace pgdx::model::transformer_layers {

using linalg::Op;

namespace {
int as_int(std::size_t v) { return static_cast<int>(v); }

void add_bias(const double* b, Matrix& y) {
  for (std::size_t j = 0; j < y.cols(); ++j) {
    double* col = y.col(j);
    for (std::size_t r = 0; r < y.rows(); ++r) col[r] += b[r];
  }
}
}  // namespace

void embedding_forward(const double* tok_emb, const double* pos_emb, std::size_t width, const Matrix& tokens,
                       Matrix& h) {
  const std::size_t context = tokens.rows();
  h.resize(width, context * tokens.cols());
  for (std::size_t i = 0; i < tokens.cols(); ++i)
    for (std::size_t t = 0; t < context; ++t) {
      const double* e = tok_emb + static_cast<std::size_t>(tokens(t, i)) * width;
      const double* p = pos_emb + t * width;
      double* out = h.col(i * context + t);
      for (std::size_t r = 0; r < width; ++r) out[r] = e[r] + p[r];
    }
}

void embedding_vjp(const Matrix& tokens, const Matrix& gh, double* g_tok, double* g_pos) {
  const std::size_t context = tokens.rows();
  const std::size_t width = gh.rows();
  for (std::size_t i = 0; i < tokens.cols(); ++i)
    for (std::size_t t = 0; t < context; ++t) {
      const double* g = gh.col(i * context + t);
      double* e = g_tok + static_cast<std::size_t>(tokens(t, i)) * width;
      double* p = g_pos + t * width;
      for (std::size_t r = 0; r < width; ++r) {
        e[r] += g[r];
        p[r] += g[r];
      }
    }
}

void linear_forward(const double* w, const double* b, std::size_t out, const Matrix& x, Matrix& y) {
  const std::size_t in = x.rows();
  y.resize(out, x.cols());
  // W out × in row-major is in × out column-major, hence the transpose.
  linalg::gemm(Op::transpose, Op::none, as_int(out), as_int(x.cols()), as_int(in), 1.0, w, as_int(in), x.data(),
               as_int(in), 0.0, y.data(), as_int(out));
  if (b) add_bias(b, y);
}

void linear_jvp(const double* w, const double* dw, const double* db, std::size_t out, const Matrix& x,
                const Matrix* dx, Matrix& dy) {
  const std::size_t in = x.rows();
  dy.resize(out, x.cols());
  linalg::gemm(Op::transpose, Op::none, as_int(out), as_int(x.cols()), as_int(in), 1.0, dw, as_int(in), x.data(),
               as_int(in), 0.0, dy.data(), as_int(out));
  if (dx)
    linalg::gemm(Op::transpose, Op::none, as_int(out), as_int(x.cols()), as_int(in), 1.0, w, as_int(in),
                 dx->data(), as_int(in), 1.0, dy.data(), as_int(out));
  if (db) add_bias(db, dy);
}

void linear_vjp(const double* w, std::size_t out, const Matrix& x, const Matrix& gy, double* gw, double* gb,
                Matrix* gx) {
  const std::size_t in = x.rows();
  const std::size_t m = x.cols();
  if (gy.rows() != out || gy.cols() != m) throw std::invalid_argument("linear_vjp: cotangent shape mismatch");
  linalg::gemm(Op::none, Op::transpose, as_int(in), as_int(out), as_int(m), 1.0, x.data(), as_int(in), gy.data(),
               as_int(out), 1.0, gw, as_int(in));
  if (gb)
    for (std::size_t j = 0; j < m; ++j) {
      const double* col = gy.col(j);
      for (std::size_t r = 0; r < out; ++r) gb[r] += col[r];
    }
  if (gx) {
    gx->resize(in, m);
    linalg::gemm(Op::none, Op::none, as_int(in), as_int(m), as_int(out), 1.0, w, as_int(in), gy.data(), as_int(out),
                 0.0, gx->data(), as_int(in));
  }
}

void layernorm_forward(const double* gamma, const double* beta, const Matrix& x, Matrix& y, LayerNormCache& cache) {
  const std::size_t d = x.rows();
  const std::size_t m = x.cols();
  y.resize(d, m);
  cache.xhat.resize(d, m);
  cache.inv_sigma.resize(m);
  const double inv_d = 1.0 / static_cast<double>(d);
  for (std::size_t j = 0; j < m; ++j) {
    const double* xc = x.col(j);
    // Two passes: the one-pass E[x²] − μ² loses every digit when |μ| ≫ σ.
    double mean = 0.0;
    for (std::size_t r = 0; r < d; ++r) mean += xc[r];
    mean *= inv_d;
    double var = 0.0;
    for (std::size_t r = 0; r < d; ++r) var += (xc[r] - mean) * (xc[r] - mean);
    var *= inv_d;
    const double inv_sigma = 1.0 / std::sqrt(var + kLayerNormEps);
    cache.inv_sigma[j] = inv_sigma;
    double* xh = cache.xhat.col(j);
    double* yc = y.col(j);
    for (std::size_t r = 0; r < d; ++r) {
      xh[r] = (xc[r] - mean) * inv_sigma;
      yc[r] = gamma[r] * xh[r] + beta[r];
    }
  }
}

void layernorm_jvp(const double* gamma, const double* dgamma, const double* dbeta, const LayerNormCache& cache,
                   const Matrix& dx, Matrix& dy) {
  const std::size_t d = dx.rows();
  const std::size_t m = dx.cols();
  dy.resize(d, m);
  const double inv_d = 1.0 / static_cast<double>(d);
  for (std::size_t j = 0; j < m; ++j) {
    const double* dxc = dx.col(j);
    const double* xh = cache.xhat.col(j);
    double mean_dx = 0.0, mean_xdx = 0.0;
    for (std::size_t r = 0; r < d; ++r) {
      mean_dx += dxc[r];
      mean_xdx += xh[r] * dxc[r];
    }
    mean_dx *= inv_d;
    mean_xdx *= inv_d;
    const double s = cache.inv_sigma[j];
    double* dyc = dy.col(j);
    for (std::size_t r = 0; r < d; ++r) {
      const double dxhat = s * (dxc[r] - mean_dx - xh[r] * mean_xdx);
      dyc[r] = gamma[r] * dxhat + dgamma[r] * xh[r] + dbeta[r];
    }
  }
}

void layernorm_vjp(const double* gamma, const LayerNormCache& cache, const Matrix& gy, double* ggamma,
                   double* gbeta, Matrix& gx) {
  const std::size_t d = gy.rows();
  const std::size_t m = gy.cols();
  gx.resize(d, m);
  const double inv_d = 1.0 / static_cast<double>(d);
  for (std::size_t j = 0; j < m; ++j) {
    const double* gyc = gy.col(j);
    const double* xh = cache.xhat.col(j);
    double* gxc = gx.col(j);
    double mean_g = 0.0, mean_xg = 0.0;
    for (std::size_t r = 0; r < d; ++r) {
      ggamma[r] += gyc[r] * xh[r];
      gbeta[r] += gyc[r];
      const double gxhat = gamma[r] * gyc[r];
      gxc[r] = gxhat;
      mean_g += gxhat;
      mean_xg += gxhat * xh[r];
    }
    mean_g *= inv_d;
    mean_xg *= inv_d;
    const double s = cache.inv_sigma[j];
    for (std::size_t r = 0; r < d; ++r) gxc[r] = s * (gxc[r] - mean_g - xh[r] * mean_xg);
  }
}

void activation_forward(Activation act, const Matrix& z, Matrix& a, Matrix& slope) {
  a.resize(z.rows(), z.cols());
  slope.resize(z.rows(), z.cols());
  const double* zp = z.data();
  double* ap = a.data();
  double* sp = slope.data();
  const std::size_t n = z.size();
  if (act == Activation::gelu) {
    constexpr double kInvSqrt2 = 0.70710678118654752440;
    constexpr double kInvSqrt2Pi = 0.39894228040143267794;
    for (std::size_t i = 0; i < n; ++i) {
      // Φ via erfc: 1 + erf(z/√2) cancels for z ≪ 0, erfc(−z/√2) does not.
      const double cdf = 0.5 * std::erfc(-zp[i] * kInvSqrt2);
      ap[i] = zp[i] * cdf;
      sp[i] = cdf + zp[i] * kInvSqrt2Pi * std::exp(-0.5 * zp[i] * zp[i]);
    }
  } else if (act == Activation::relu) {
    for (std::size_t i = 0; i < n; ++i) {
      const bool on = zp[i] > 0.0;
      ap[i] = on ? zp[i] : 0.0;
      sp[i] = on ? 1.0 : 0.0;
    }
  } else {
    throw std::invalid_argument("transformer: activation must be gelu or relu");
  }
}

void multiply_elementwise(const Matrix& factor, Matrix& inout) {
  const double* f = factor.data();
  double* p = inout.data();
  for (std::size_t i = 0; i < inout.size(); ++i) p[i] *= f[i];
}

namespace {
double dot(const double* a, const double* b, std::size_t n) {
  double s = 0.0;
  for (std::size_t r = 0; r < n; ++r) s += a[r] * b[r];
  return s;
}
void axpy(double alpha, const double* x, double* y, std::size_t n) {
  for (std::size_t r = 0; r < n; ++r) y[r] += alpha * x[r];
}

// One attention row: a query of one head of one sample, its output column, the probabilities
// over its keys, and the last key t the causal mask lets it see (keys i·T … i·T + t).
struct AttentionRow {
  std::size_t query_column;  // column of q / out / gout
  std::size_t first_key;     // column of key 0 of this sample in k / v
  std::size_t offset;        // h · head_dim: this head's rows
  std::size_t last_key;      // t
  std::size_t probs;         // index of p_0 in probs
};

template <class Visit>
void for_each_attention_row(const AttentionShape& s, Visit visit) {
  const std::size_t T = s.context, Tq = s.queries();
  for (std::size_t i = 0; i < s.samples; ++i)
    for (std::size_t h = 0; h < s.heads; ++h)
      for (std::size_t tq = 0; tq < Tq; ++tq)
        visit(AttentionRow{i * Tq + tq, i * T, h * s.head_dim, tq + T - Tq, ((i * s.heads + h) * Tq + tq) * T});
}
}  // namespace

void attention_forward(const AttentionShape& s, ConstColumns q, ConstColumns k, ConstColumns v,
                       std::vector<double>& probs, Matrix& out) {
  const std::size_t T = s.context, Tq = s.queries(), dh = s.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  probs.assign(s.samples * s.heads * Tq * T, 0.0);
  out.resize(s.width(), s.samples * Tq);
  for_each_attention_row(s, [&](const AttentionRow& row) {
    const double* qv = q.col(row.query_column) + row.offset;
    double* p = probs.data() + row.probs;
    // The causal mask: only keys j ≤ t are visited, so no −∞ ever enters the arithmetic.
    double max_score = -HUGE_VAL;
    for (std::size_t j = 0; j <= row.last_key; ++j) {
      p[j] = scale * dot(qv, k.col(row.first_key + j) + row.offset, dh);
      max_score = std::max(max_score, p[j]);
    }
    double sum = 0.0;
    for (std::size_t j = 0; j <= row.last_key; ++j) {
      p[j] = std::exp(p[j] - max_score);
      sum += p[j];
    }
    double* o = out.col(row.query_column) + row.offset;
    std::fill(o, o + dh, 0.0);
    for (std::size_t j = 0; j <= row.last_key; ++j) {
      p[j] /= sum;
      axpy(p[j], v.col(row.first_key + j) + row.offset, o, dh);
    }
  });
}

void attention_jvp(const AttentionShape& s, ConstColumns q, ConstColumns k, ConstColumns v,
                   const std::vector<double>& probs, ConstColumns dq, ConstColumns dk, ConstColumns dv,
                   Matrix& dout) {
  const std::size_t T = s.context, dh = s.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  dout.resize(s.width(), s.samples * s.queries());
  std::vector<double> dscore(T);
  for_each_attention_row(s, [&](const AttentionRow& row) {
    const double* qv = q.col(row.query_column) + row.offset;
    const double* dqv = dq.col(row.query_column) + row.offset;
    const double* p = probs.data() + row.probs;
    double mean = 0.0;
    for (std::size_t j = 0; j <= row.last_key; ++j) {
      const std::size_t c = row.first_key + j;
      dscore[j] = scale * (dot(dqv, k.col(c) + row.offset, dh) + dot(qv, dk.col(c) + row.offset, dh));
      mean += p[j] * dscore[j];
    }
    double* o = dout.col(row.query_column) + row.offset;
    std::fill(o, o + dh, 0.0);
    for (std::size_t j = 0; j <= row.last_key; ++j) {
      const std::size_t c = row.first_key + j;
      axpy(p[j] * (dscore[j] - mean), v.col(c) + row.offset, o, dh);  // softmax Jacobian
      axpy(p[j], dv.col(c) + row.offset, o, dh);
    }
  });
}

void attention_vjp(const AttentionShape& s, ConstColumns q, ConstColumns k, ConstColumns v,
                   const std::vector<double>& probs, const Matrix& gout, Columns gq, Columns gk, Columns gv) {
  const std::size_t T = s.context, Tq = s.queries(), dh = s.head_dim, d = s.width();
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  for (std::size_t c = 0; c < s.samples * Tq; ++c) std::fill(gq.col(c), gq.col(c) + d, 0.0);
  for (std::size_t c = 0; c < s.samples * T; ++c) {
    std::fill(gk.col(c), gk.col(c) + d, 0.0);
    std::fill(gv.col(c), gv.col(c) + d, 0.0);
  }
  std::vector<double> gscore(T);
  for_each_attention_row(s, [&](const AttentionRow& row) {
    const double* qv = q.col(row.query_column) + row.offset;
    const double* go = gout.col(row.query_column) + row.offset;
    const double* p = probs.data() + row.probs;
    double mean = 0.0;
    for (std::size_t j = 0; j <= row.last_key; ++j) {
      const std::size_t c = row.first_key + j;
      gscore[j] = dot(go, v.col(c) + row.offset, dh);  // ∂/∂p_j
      mean += p[j] * gscore[j];
      axpy(p[j], go, gv.col(c) + row.offset, dh);
    }
    double* gqv = gq.col(row.query_column) + row.offset;
    for (std::size_t j = 0; j <= row.last_key; ++j) {
      const std::size_t c = row.first_key + j;
      const double g = scale * p[j] * (gscore[j] - mean);  // ∂/∂(q·k_j), scale included
      axpy(g, k.col(c) + row.offset, gqv, dh);
      axpy(g, qv, gk.col(c) + row.offset, dh);
    }
  });
}

void gather_last(const Matrix& x, std::size_t context, Matrix& x_last) {
  const std::size_t n = x.cols() / context;
  x_last.resize(x.rows(), n);
  for (std::size_t i = 0; i < n; ++i) std::copy(x.col(i * context + context - 1), x.col(i * context + context - 1) + x.rows(), x_last.col(i));
}

void scatter_add_last(const Matrix& g_last, std::size_t context, Matrix& g) {
  for (std::size_t i = 0; i < g_last.cols(); ++i) {
    const double* src = g_last.col(i);
    double* dst = g.col(i * context + context - 1);
    for (std::size_t r = 0; r < g_last.rows(); ++r) dst[r] += src[r];
  }
}

void add_to(const Matrix& x, Matrix& y) {
  const double* a = x.data();
  double* b = y.data();
  for (std::size_t i = 0; i < y.size(); ++i) b[i] += a[i];
}

}  // namespace pgdx::model::transformer_layers
