#include "transformer_block.hpp"

namespace pgdx::model::transformer_detail {

namespace tl = transformer_layers;
using tl::Columns;
using tl::ConstColumns;

namespace {

template <class T>
T* shift(T* p, std::size_t k) {
  return p ? p + k : nullptr;
}

// The attention inputs inside the in-projection output: packed q|k|v rows in a full block,
// q separate and k|v packed in a last-only one.
struct QkvViews {
  ConstColumns q, k, v;
};
QkvViews qkv_views(const BlockShape& s, const Matrix& qkv, const Matrix& q) {
  const std::size_t d = s.width;
  if (s.last_only) return {{q.data(), d}, {qkv.data(), 2 * d}, {qkv.data() + d, 2 * d}};
  return {{qkv.data(), 3 * d}, {qkv.data() + d, 3 * d}, {qkv.data() + 2 * d, 3 * d}};
}

// The in-projection of a block: q at the query columns, k and v at every position.
void in_projection_jvp(const BlockShape& s, const double* w, const double* dw, const double* db, const Matrix& x,
                       const Matrix& x_last, const Matrix& dx, const Matrix& dx_last, Matrix& dqkv, Matrix& dq) {
  const std::size_t d = s.width;
  if (!s.last_only) {
    tl::linear_jvp(w, dw, db, 3 * d, x, &dx, dqkv);
    return;
  }
  tl::linear_jvp(w, dw, db, d, x_last, &dx_last, dq);
  tl::linear_jvp(w + d * d, dw + d * d, shift(db, d), 2 * d, x, &dx, dqkv);
}

}  // namespace

void block_forward(const BlockShape& s, const BlockParams<const double>& p, const Matrix& x, BlockCache& c,
                   BlockScratch& w) {
  const std::size_t d = s.width;
  Matrix& residual = w.a;
  if (s.last_only) {
    tl::gather_last(x, s.context, c.x_last);
    tl::linear_forward(p.in_w, p.in_b, d, c.x_last, c.q);
    tl::linear_forward(p.in_w + d * d, shift(p.in_b, d), 2 * d, x, c.qkv);
  } else {
    tl::linear_forward(p.in_w, p.in_b, 3 * d, x, c.qkv);
  }
  const QkvViews in = qkv_views(s, c.qkv, c.q);
  tl::attention_forward(s.attention(), in.q, in.k, in.v, c.probs, c.attn);
  tl::linear_forward(p.out_w, p.out_b, d, c.attn, residual);
  tl::add_to(s.last_only ? c.x_last : x, residual);
  tl::layernorm_forward(p.ln1_g, p.ln1_b, residual, c.x1, c.ln1);
  Matrix& z = w.b;
  tl::linear_forward(p.fc1_w, p.fc1_b, s.mlp_width, c.x1, z);
  tl::activation_forward(s.activation, z, c.a, c.slope);
  tl::linear_forward(p.fc2_w, p.fc2_b, d, c.a, residual);
  tl::add_to(c.x1, residual);
  tl::layernorm_forward(p.ln2_g, p.ln2_b, residual, c.out, c.ln2);
}

void block_jvp(const BlockShape& s, const BlockParams<const double>& p, const BlockParams<const double>& dp,
               const Matrix& x, const BlockCache& c, const Matrix& dx, Matrix& dout, BlockScratch& w) {
  const std::size_t d = s.width;
  Matrix &dx_last = w.a, &dqkv = w.b, &dq = w.c, &dattn = w.d, &dres = w.e, &dx1 = w.f, &dz = w.g;
  if (s.last_only) tl::gather_last(dx, s.context, dx_last);
  in_projection_jvp(s, p.in_w, dp.in_w, dp.in_b, x, c.x_last, dx, dx_last, dqkv, dq);
  const QkvViews in = qkv_views(s, c.qkv, c.q);
  const QkvViews din = qkv_views(s, dqkv, dq);
  tl::attention_jvp(s.attention(), in.q, in.k, in.v, c.probs, din.q, din.k, din.v, dattn);
  tl::linear_jvp(p.out_w, dp.out_w, dp.out_b, d, c.attn, &dattn, dres);
  tl::add_to(s.last_only ? dx_last : dx, dres);
  tl::layernorm_jvp(p.ln1_g, dp.ln1_g, dp.ln1_b, c.ln1, dres, dx1);
  tl::linear_jvp(p.fc1_w, dp.fc1_w, dp.fc1_b, s.mlp_width, c.x1, &dx1, dz);
  tl::multiply_elementwise(c.slope, dz);
  tl::linear_jvp(p.fc2_w, dp.fc2_w, dp.fc2_b, d, c.a, &dz, dres);
  tl::add_to(dx1, dres);
  tl::layernorm_jvp(p.ln2_g, dp.ln2_g, dp.ln2_b, c.ln2, dres, dout);
}

void block_vjp(const BlockShape& s, const BlockParams<const double>& p, const BlockParams<double>& gp,
               const Matrix& x, const BlockCache& c, const Matrix& gout, Matrix& gx, BlockScratch& w) {
  const std::size_t d = s.width;
  Matrix &gres = w.a, &gz = w.b, &gx1 = w.c, &gattn = w.d, &gqkv = w.e, &gq = w.f, &gx_last = w.g;
  tl::layernorm_vjp(p.ln2_g, c.ln2, gout, gp.ln2_g, gp.ln2_b, gres);
  tl::linear_vjp(p.fc2_w, d, c.a, gres, gp.fc2_w, gp.fc2_b, &gz);
  tl::multiply_elementwise(c.slope, gz);
  tl::linear_vjp(p.fc1_w, s.mlp_width, c.x1, gz, gp.fc1_w, gp.fc1_b, &gx1);
  tl::add_to(gres, gx1);
  tl::layernorm_vjp(p.ln1_g, c.ln1, gx1, gp.ln1_g, gp.ln1_b, gres);  // gres: ∂/∂(x + attention)
  tl::linear_vjp(p.out_w, d, c.attn, gres, gp.out_w, gp.out_b, &gattn);
  const QkvViews in = qkv_views(s, c.qkv, c.q);
  gqkv.resize(c.qkv.rows(), c.qkv.cols());  // attention_vjp writes every entry
  if (!s.last_only) {
    tl::attention_vjp(s.attention(), in.q, in.k, in.v, c.probs, gattn, {gqkv.data(), 3 * d},
                      {gqkv.data() + d, 3 * d}, {gqkv.data() + 2 * d, 3 * d});
    tl::linear_vjp(p.in_w, 3 * d, x, gqkv, gp.in_w, gp.in_b, &gx);
    tl::add_to(gres, gx);
    return;
  }
  gq.resize(d, c.q.cols());
  tl::attention_vjp(s.attention(), in.q, in.k, in.v, c.probs, gattn, {gq.data(), d}, {gqkv.data(), 2 * d},
                    {gqkv.data() + d, 2 * d});
  tl::linear_vjp(p.in_w + d * d, 2 * d, x, gqkv, gp.in_w + d * d, shift(gp.in_b, d), &gx);
  tl::linear_vjp(p.in_w, d, c.x_last, gq, gp.in_w, gp.in_b, &gx_last);
  tl::add_to(gres, gx_last);
  tl::scatter_add_last(gx_last, s.context, gx);
}

}  // namespace pgdx::model::transformer_detail
