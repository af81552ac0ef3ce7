// JᵀJ of a one-hidden-layer MLP without J. With f = s(W₂ a + b₂), a = σ(W₁x + b₁), x̃ = [x; 1] and
// ã = [a; 1] (the 1 only with biases), summed over samples i and outputs c:
//   first layer × first layer:  s² (W₂ᵀW₂)_{jj'} · Σᵢ σ'ᵢⱼ σ'ᵢⱼ' x̃ᵢₖ x̃ᵢₖ'   = s² (W₂ᵀW₂)_{jj'} (ZᵀZ)_{(j,k),(j',k')}
//   second × second:            s² δ_cc' Σᵢ ãᵢⱼ ãᵢⱼ'                         = s² δ_cc' (ÃᵀÃ)_{jj'}
//   first × second:             s² W₂[c, j] Σᵢ σ'ᵢⱼ x̃ᵢₖ ãᵢⱼ'                 = s² W₂[c, j] (ZᵀÃ)_{(j,k), j'}
// with Zᵢ = σ'ᵢ ⊗ x̃ᵢ (n × h·d̃). The sum over the C outputs collapses into W₂ᵀW₂, so the cost is
// one n × h·d̃ syrk (Fig. 5: 1e10 flops) instead of the N·p² = 5e11 of forming JᵀJ from J.
#include "pgdx/linalg/blas.hpp"
#include "pgdx/model/mlp.hpp"

namespace pgdx::model {

bool Mlp::parameter_gram(const Matrix& x, Matrix& g) {
  if (num_layers() != 2) return false;
  ensure_forward(x);
  const std::size_t n = x.cols(), d = options_.layers[0], h = options_.layers[1], c_out = options_.layers[2];
  const std::size_t b = options_.bias ? 1 : 0;
  const std::size_t dt = d + b, ht = h + b;  // x̃, ã lengths
  const double s2 = options_.output_scale * options_.output_scale;
  Matrix& derivative = pg_derivative_;
  activation_derivative(0, derivative);  // σ'(z₁), h × n
  const Matrix& a = current_.a[0];
  // Z (n × h·d̃) and Ã (n × h̃), sample-major rows; every entry is written below.
  Matrix &z = pg_z_, &at = pg_at_;
  z.resize(n, h * dt);
  at.resize(n, ht);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < h; ++j) {
      const double sj = derivative(j, i);
      for (std::size_t k = 0; k < d; ++k) z(i, j * dt + k) = sj * x(k, i);
      if (b) z(i, j * dt + d) = sj;
      at(i, j) = a(j, i);
    }
    if (b) at(i, h) = 1.0;
  }
  Matrix &zz = pg_zz_, &za = pg_za_, &aa = pg_aa_;
  za.resize(h * dt, ht);
  linalg::gram_of_columns(z, zz);   // ZᵀZ (both triangles)
  linalg::gram_of_columns(at, aa);  // ÃᵀÃ
  linalg::gemm(linalg::Op::transpose, linalg::Op::none, 1.0, z, at, 0.0, za);
  const double* w2 = theta_.data() + weight_offset_[1];  // C × h row-major
  Matrix& w2tw2 = pg_w2tw2_;
  w2tw2.resize(h, h);
  for (std::size_t j = 0; j < h; ++j)
    for (std::size_t jp = 0; jp < h; ++jp) {
      double sum = 0.0;
      for (std::size_t c = 0; c < c_out; ++c) sum += w2[c * h + j] * w2[c * h + jp];
      w2tw2(j, jp) = sum;
    }
  // θ index of first-layer entry (j, k̃) and second-layer entry (c, j̃).
  auto first = [&](std::size_t j, std::size_t k) { return k < d ? weight_offset_[0] + j * d + k : bias_offset_[0] + j; };
  auto second = [&](std::size_t c, std::size_t j) { return j < h ? weight_offset_[1] + c * h + j : bias_offset_[1] + c; };
  const std::size_t p = theta_.size();
  g.resize(p, p);
  // Column by column, rows innermost: g and the symmetric ZᵀZ, ZᵀÃ, ÃᵀÃ are read and written
  // contiguously (a row-wise fill of the 6 900² matrix was the slowest part of an LM step).
  for (std::size_t jp = 0; jp < h; ++jp)
    for (std::size_t kp = 0; kp < dt; ++kp) {
      double* column = g.col(first(jp, kp));
      const double* zz_column = zz.col(jp * dt + kp);
      for (std::size_t j = 0; j < h; ++j) {
        const double w = s2 * w2tw2(j, jp);
        for (std::size_t k = 0; k < dt; ++k) column[first(j, k)] = w * zz_column[j * dt + k];
      }
      for (std::size_t c = 0; c < c_out; ++c)
        for (std::size_t jt = 0; jt < ht; ++jt) column[second(c, jt)] = s2 * w2[c * h + jp] * za(jp * dt + kp, jt);
    }
  for (std::size_t c = 0; c < c_out; ++c)
    for (std::size_t jt = 0; jt < ht; ++jt) {
      double* column = g.col(second(c, jt));
      const double* za_column = za.col(jt);
      for (std::size_t j = 0; j < h; ++j)
        for (std::size_t k = 0; k < dt; ++k) column[first(j, k)] = s2 * w2[c * h + j] * za_column[j * dt + k];
      for (std::size_t cp = 0; cp < c_out; ++cp)
        for (std::size_t j = 0; j < ht; ++j) column[second(cp, j)] = cp == c ? s2 * aa(j, jt) : 0.0;
    }
  return true;
}

}  // namespace pgdx::model
