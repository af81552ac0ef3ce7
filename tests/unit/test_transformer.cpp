// Transformer: every layer's jvp against central finite differences and its vjp against its jvp
// (⟨u, J v⟩ = ⟨Jᵀu, v⟩), also at stressed inputs (LayerNorm mean 1e3, GELU at ±8, attention
// scores ±50); the whole model likewise on tiny configurations; the last-position-only forward
// against the full one; the forward cache; the parameter count and layout; the options.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "../../src/model/transformer_layers.hpp"
#include "pgdx/model/model_registry.hpp"
#include "pgdx/model/transformer.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;
namespace tl = model::transformer_layers;
using Vec = std::vector<double>;

namespace {

// A function of one flat vector u (the concatenation of a layer's inputs and parameters).
struct FlatOp {
  std::function<Vec(const Vec&)> f;
  std::function<Vec(const Vec&, const Vec&)> jvp;  // (u, du) → J du
  std::function<Vec(const Vec&, const Vec&)> vjp;  // (u, gy) → Jᵀ gy
};

double norm(const Vec& a) { return std::sqrt(linalg::dot(a.size(), a.data(), a.data())); }
double inner(const Vec& a, const Vec& b) { return linalg::dot(a.size(), a.data(), b.data()); }
double relative_norm_error(const Vec& a, const Vec& reference) {
  Vec d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - reference[i];
  return norm(d) / norm(reference);
}

// Largest errors seen, printed at the end of the whole-model test when PGDX_TEST_VERBOSE is set.
double g_max_fd = 0.0, g_max_adjoint = 0.0;
void report(const char* what, double fd, double adjoint) {
  g_max_fd = std::max(g_max_fd, fd);
  g_max_adjoint = std::max(g_max_adjoint, adjoint);
  if (std::getenv("PGDX_TEST_VERBOSE")) std::printf("%-40s fd %.2e  adjoint %.2e\n", what, fd, adjoint);
}

// Central difference of op.f along du with step h, relative to the jvp; and the adjoint identity.
// u is copied: a model's op may overwrite the vector it was given (its own θ).
void check_op(const char* what, const FlatOp& op, const Vec u, double h, std::uint64_t seed, bool finite_differences = true) {
  Rng rng(seed, Stream::test);
  const Vec du = test::random_vector(u.size(), rng);
  const Vec jv = op.jvp(u, du);
  double fd_error = 0.0;
  if (finite_differences) {
    Vec plus = u, minus = u;
    for (std::size_t i = 0; i < u.size(); ++i) {
      plus[i] += h * du[i];
      minus[i] -= h * du[i];
    }
    const Vec fp = op.f(plus), fm = op.f(minus);
    Vec fd(fp.size());
    for (std::size_t i = 0; i < fd.size(); ++i) fd[i] = (fp[i] - fm[i]) / (2 * h);
    REQUIRE(fd.size() == jv.size());
    fd_error = relative_norm_error(jv, fd);
  }
  const Vec gy = test::random_vector(jv.size(), rng);
  const Vec jtu = op.vjp(u, gy);
  REQUIRE(jtu.size() == u.size());
  const double lhs = inner(gy, jv), rhs = inner(jtu, du);
  const double adjoint_error = std::abs(lhs - rhs) / std::abs(lhs);
  report(what, fd_error, adjoint_error);
  INFO(what << ": fd error " << fd_error << ", adjoint error " << adjoint_error);
  CHECK(fd_error <= 1e-7);
  CHECK(adjoint_error <= 1e-12);
}

// Splits a flat vector into consecutive matrices / arrays.
struct Unpack {
  const double* p;
  Matrix matrix(std::size_t rows, std::size_t cols) {
    Matrix m(rows, cols);
    std::copy(p, p + rows * cols, m.data());
    p += rows * cols;
    return m;
  }
  const double* take(std::size_t count) {
    const double* at = p;
    p += count;
    return at;
  }
};
void append(Vec& out, const Matrix& m) { out.insert(out.end(), m.storage().begin(), m.storage().end()); }

Matrix random_tokens(std::size_t context, std::size_t n, std::size_t vocab, Rng& rng) {
  Matrix x(context, n);
  for (double& t : x.storage()) t = static_cast<double>(rng.below(vocab));
  return x;
}

model::TransformerOptions tiny_options(bool bias = true, bool final_norm = true, std::size_t blocks = 2) {
  model::TransformerOptions o;
  o.vocab = 11;
  o.context = 4;
  o.max_positions = 5;
  o.width = 8;
  o.heads = 2;
  o.blocks = blocks;
  o.mlp_width = 16;
  o.bias = bias;
  o.final_norm = final_norm;
  return o;
}

// θ₀ plus noise, so biases, β and γ − 1 are not zero and every term of the derivatives is exercised.
model::Transformer tiny_model(const model::TransformerOptions& o, model::Activation act, std::uint64_t seed) {
  model::Transformer m(o, act, seed);
  Rng rng(seed, Stream::test);
  Vec theta = m.params();
  for (double& t : theta) t += 0.2 * rng.normal();
  m.set_params(theta);
  return m;
}

Vec flat(const Matrix& m) { return m.storage(); }

}  // namespace

TEST_CASE("transformer embedding: jvp matches finite differences and vjp is its adjoint", "[transformer]") {
  const std::size_t vocab = 7, positions = 5, width = 6, context = 4, n = 5;
  Rng rng(1, Stream::test);
  const Matrix tokens = random_tokens(context, n, vocab, rng);
  const std::size_t tok_size = vocab * width;
  FlatOp op;
  op.f = [&](const Vec& u) {
    Matrix h;
    tl::embedding_forward(u.data(), u.data() + tok_size, width, tokens, h);
    return flat(h);
  };
  op.jvp = [&](const Vec&, const Vec& du) {
    Matrix h;
    tl::embedding_forward(du.data(), du.data() + tok_size, width, tokens, h);
    return flat(h);
  };
  op.vjp = [&](const Vec& u, const Vec& gy) {
    Vec g(u.size(), 0.0);
    Matrix gh(width, context * n);
    gh.storage() = gy;
    tl::embedding_vjp(tokens, gh, g.data(), g.data() + tok_size);
    return g;
  };
  check_op("embedding", op, test::random_vector((vocab + positions) * width, rng), 1e-6, 2);
}

TEST_CASE("transformer linear map: jvp matches finite differences and vjp is its adjoint", "[transformer]") {
  const std::size_t in = 5, out = 7, m = 6;
  for (bool bias : {true, false}) {
    const std::size_t nb = bias ? out : 0;
    FlatOp op;
    op.f = [&](const Vec& u) {
      Unpack s{u.data()};
      const double* w = s.take(out * in);
      const double* b = bias ? s.take(out) : nullptr;
      Matrix y;
      tl::linear_forward(w, b, out, s.matrix(in, m), y);
      return flat(y);
    };
    op.jvp = [&](const Vec& u, const Vec& du) {
      Unpack s{u.data()}, ds{du.data()};
      const double* w = s.take(out * in + nb);
      const double* dw = ds.take(out * in);
      const double* db = bias ? ds.take(out) : nullptr;
      const Matrix x = s.matrix(in, m), dx = ds.matrix(in, m);
      Matrix dy;
      tl::linear_jvp(w, dw, db, out, x, &dx, dy);
      return flat(dy);
    };
    op.vjp = [&](const Vec& u, const Vec& gy) {
      Unpack s{u.data()};
      const double* w = s.take(out * in + nb);
      const Matrix x = s.matrix(in, m);
      Matrix g(out, m), gx;
      g.storage() = gy;
      Vec grad(out * in + nb, 0.0);
      tl::linear_vjp(w, out, x, g, grad.data(), bias ? grad.data() + out * in : nullptr, &gx);
      append(grad, gx);
      return grad;
    };
    Rng rng(3, Stream::test);
    check_op(bias ? "linear" : "linear, no bias", op, test::random_vector(out * in + nb + in * m, rng), 1e-6, 4);
  }
}

namespace {
FlatOp layernorm_op(std::size_t d, std::size_t m) {
  FlatOp op;
  op.f = [d, m](const Vec& u) {
    Unpack s{u.data()};
    const double* g = s.take(d);
    const double* b = s.take(d);
    Matrix y;
    tl::LayerNormCache c;
    tl::layernorm_forward(g, b, s.matrix(d, m), y, c);
    return flat(y);
  };
  op.jvp = [d, m](const Vec& u, const Vec& du) {
    Unpack s{u.data()}, ds{du.data()};
    const double* g = s.take(d);
    const double* b = s.take(d);
    const double* dg = ds.take(d);
    const double* db = ds.take(d);
    Matrix y, dy;
    tl::LayerNormCache c;
    tl::layernorm_forward(g, b, s.matrix(d, m), y, c);
    tl::layernorm_jvp(g, dg, db, c, ds.matrix(d, m), dy);
    return flat(dy);
  };
  op.vjp = [d, m](const Vec& u, const Vec& gy) {
    Unpack s{u.data()};
    const double* g = s.take(d);
    const double* b = s.take(d);
    Matrix y, gym(d, m), gx;
    gym.storage() = gy;
    tl::LayerNormCache c;
    tl::layernorm_forward(g, b, s.matrix(d, m), y, c);
    Vec grad(2 * d, 0.0);
    tl::layernorm_vjp(g, c, gym, grad.data(), grad.data() + d, gx);
    append(grad, gx);
    return grad;
  };
  return op;
}
}  // namespace

TEST_CASE("transformer LayerNorm: jvp matches finite differences and vjp is its adjoint", "[transformer]") {
  const std::size_t d = 9, m = 5;
  Rng rng(5, Stream::test);
  Vec u = test::random_vector(2 * d + d * m, rng);
  check_op("layernorm", layernorm_op(d, m), u, 1e-6, 6);
  SECTION("inputs with mean 1e3 (the two-pass variance keeps their spread)") {
    for (std::size_t k = 2 * d; k < u.size(); ++k) u[k] += 1e3;
    // The step must dwarf the rounding of 1e3 (1e-13) yet keep h² · f''' below 1e-7: h = 1e-4.
    check_op("layernorm, mean 1e3", layernorm_op(d, m), u, 1e-4, 7);
    // The normalised columns are those of the unshifted input.
    Vec shifted = u;
    for (std::size_t k = 2 * d; k < u.size(); ++k) shifted[k] -= 1e3;
    CHECK(test::relative_difference(layernorm_op(d, m).f(u), layernorm_op(d, m).f(shifted)) < 1e-10);
  }
}

namespace {
FlatOp activation_op(model::Activation act) {
  FlatOp op;
  op.f = [act](const Vec& u) {
    Matrix z(u.size(), 1), a, s;
    z.storage() = u;
    tl::activation_forward(act, z, a, s);
    return flat(a);
  };
  auto derivative = [act](const Vec& u, const Vec& w) {
    Matrix z(u.size(), 1), a, s, dw(u.size(), 1);
    z.storage() = u;
    dw.storage() = w;
    tl::activation_forward(act, z, a, s);
    tl::multiply_elementwise(s, dw);
    return flat(dw);
  };
  op.jvp = derivative;
  op.vjp = derivative;
  return op;
}
}  // namespace

TEST_CASE("transformer GELU and ReLU: derivatives, also at plus and minus 8", "[transformer]") {
  Rng rng(8, Stream::test);
  Vec z = test::random_vector(40, rng);
  for (double v : {8.0, -8.0, 7.5, -7.5, 0.0, 1e-3}) z.push_back(v);
  check_op("gelu", activation_op(model::Activation::gelu), z, 1e-6, 9);
  const Vec a = activation_op(model::Activation::gelu).f(z);
  // GELU(z) = z Φ(z): Φ(8) = 1 − 6.2e-16 and Φ(−8) = 6.2e-16, so no cancellation to 0 or 1 ± ε.
  CHECK(a[40] == Approx(8.0).epsilon(1e-15));
  CHECK(a[41] == Approx(-8.0 * 6.22096057427178e-16).epsilon(1e-9));
  CHECK(a[44] == 0.0);
  // ReLU: differences only away from the kink.
  Vec away;
  for (double v : z)
    if (std::abs(v) > 1e-2) away.push_back(v);
  check_op("relu", activation_op(model::Activation::relu), away, 1e-6, 10);
}

namespace {
// u = the in-projection output: full: packed q|k|v (3d × n·T); last-only: q (d × n) then k|v (2d × n·T).
FlatOp attention_op(const tl::AttentionShape& s) {
  const std::size_t d = s.width(), nt = s.samples * s.context, nq = s.samples * s.queries();
  struct Views {
    tl::ConstColumns q, k, v;
  };
  auto views = [=](const double* u) {
    if (s.last_query_only) {
      const double* kv = u + d * nq;
      return Views{{u, d}, {kv, 2 * d}, {kv + d, 2 * d}};
    }
    return Views{{u, 3 * d}, {u + d, 3 * d}, {u + 2 * d, 3 * d}};
  };
  FlatOp op;
  op.f = [=](const Vec& u) {
    const Views w = views(u.data());
    std::vector<double> probs;
    Matrix out;
    tl::attention_forward(s, w.q, w.k, w.v, probs, out);
    return flat(out);
  };
  op.jvp = [=](const Vec& u, const Vec& du) {
    const Views w = views(u.data()), dw = views(du.data());
    std::vector<double> probs;
    Matrix out, dout;
    tl::attention_forward(s, w.q, w.k, w.v, probs, out);
    tl::attention_jvp(s, w.q, w.k, w.v, probs, dw.q, dw.k, dw.v, dout);
    return flat(dout);
  };
  op.vjp = [=](const Vec& u, const Vec& gy) {
    const Views w = views(u.data());
    std::vector<double> probs;
    Matrix out, gout(d, nq);
    gout.storage() = gy;
    tl::attention_forward(s, w.q, w.k, w.v, probs, out);
    Vec g(u.size(), 0.0);
    if (s.last_query_only) {
      double* kv = g.data() + d * nq;
      tl::attention_vjp(s, w.q, w.k, w.v, probs, gout, {g.data(), d}, {kv, 2 * d}, {kv + d, 2 * d});
    } else {
      tl::attention_vjp(s, w.q, w.k, w.v, probs, gout, {g.data(), 3 * d}, {g.data() + d, 3 * d},
                        {g.data() + 2 * d, 3 * d});
    }
    return g;
  };
  (void)nt;
  return op;
}
std::size_t attention_input_size(const tl::AttentionShape& s) {
  const std::size_t d = s.width(), nt = s.samples * s.context;
  return s.last_query_only ? d * s.samples + 2 * d * nt : 3 * d * nt;
}
}  // namespace

TEST_CASE("transformer causal attention: derivatives, also with scores around plus and minus 50", "[transformer]") {
  for (bool last : {false, true}) {
    const tl::AttentionShape s{3, 4, 2, 4, last};
    Rng rng(11, Stream::test);
    Vec u = test::random_vector(attention_input_size(s), rng);
    check_op(last ? "attention, last query" : "attention", attention_op(s), u, 1e-6, 12);
    // q·k/√dh with entries of size 7 and dh = 4: scores of size 2·49/2 ≈ ±50, a nearly one-hot softmax.
    for (double& x : u) x *= 7.0;
    check_op(last ? "attention, last query, scores ~50" : "attention, scores ~50", attention_op(s), u, 1e-6, 13);
  }
  SECTION("the causal mask: position t ignores later keys and values") {
    const tl::AttentionShape s{2, 4, 2, 3, false};
    Rng rng(14, Stream::test);
    Vec u = test::random_vector(attention_input_size(s), rng);
    const Vec before = attention_op(s).f(u);
    const std::size_t d = s.width();
    for (std::size_t r = d; r < 3 * d; ++r) u[r + 3 * d * 3] += 5.0;  // k, v of sample 0, position 3
    const Vec after = attention_op(s).f(u);
    for (std::size_t k = 0; k < 3 * d; ++k) CHECK(after[k] == before[k]);   // positions 0–2 of sample 0
    CHECK(after[3 * d] != before[3 * d]);
  }
}

TEST_CASE("transformer parameter count and layout", "[transformer]") {
  const model::TransformerOptions defaults;
  CHECK(model::transformer_parameter_count(defaults) == 422883);
  model::Transformer big(defaults, model::Activation::gelu, 1);
  CHECK(big.num_params() == 422883);
  CHECK(big.offsets().blocks[0].in_w == 99 * 128 + 5 * 128);
  CHECK(big.offsets().head_b == 422883 - 99);
  for (bool bias : {true, false})
    for (bool final_norm : {true, false}) {
      const auto o = tiny_options(bias, final_norm);
      model::Transformer m(o, model::Activation::relu, 2);
      CHECK(m.num_params() == model::transformer_parameter_count(o));
      model::MlpOptions mo;
      mo.kind = model::ModelKind::transformer;
      mo.activation = model::Activation::relu;
      mo.transformer = o;
      CHECK(model::find_model(model::ModelKind::transformer).parameter_count(mo) == m.num_params());
      CHECK(model::make_model(mo, 2)->params() == m.params());
    }
  SECTION("initialisation: γ = 1, β = 0, in/out-projection biases 0, bounded uniform weights") {
    model::Transformer m(tiny_options(), model::Activation::gelu, 3);
    const auto& t = m.params();
    const auto& b = m.offsets().blocks[1];
    const std::size_t d = 8;
    for (std::size_t k = 0; k < d; ++k) {
      CHECK(t[b.ln1_g + k] == 1.0);
      CHECK(t[b.ln2_b + k] == 0.0);
      CHECK(t[b.out_b + k] == 0.0);
      CHECK(t[m.offsets().lnf_g + k] == 1.0);
    }
    for (std::size_t k = 0; k < 3 * d; ++k) CHECK(t[b.in_b + k] == 0.0);
    for (std::size_t k = 0; k < 3 * d * d; ++k) CHECK(std::abs(t[b.in_w + k]) <= std::sqrt(6.0 / (4 * d)));
    for (std::size_t k = 0; k < d * 16; ++k) CHECK(std::abs(t[b.fc2_w + k]) <= 1.0 / 4.0);
    CHECK(std::abs(t[b.fc2_w]) > 0.0);
  }
}

TEST_CASE("transformer model: jvp matches finite differences and vjp is its adjoint", "[transformer]") {
  struct Case {
    bool bias, final_norm;
    std::size_t blocks;
    model::Activation act;
  };
  const Case cases[] = {{true, true, 2, model::Activation::gelu},  {false, true, 2, model::Activation::gelu},
                        {true, false, 2, model::Activation::gelu}, {false, false, 1, model::Activation::gelu},
                        {true, true, 3, model::Activation::gelu},  {true, true, 2, model::Activation::relu}};
  for (const Case& c : cases) {
    const auto o = tiny_options(c.bias, c.final_norm, c.blocks);
    model::Transformer m = tiny_model(o, c.act, 21);
    Rng rng(22, Stream::test);
    const Matrix x = random_tokens(o.context, 6, o.vocab, rng);
    FlatOp op;
    op.f = [&](const Vec& theta) {
      m.set_params(theta);
      Matrix f;
      m.forward(x, f);
      return flat(f);
    };
    op.jvp = [&](const Vec& theta, const Vec& v) {
      m.set_params(theta);
      Matrix jv;
      m.jvp(x, v, jv);
      return flat(jv);
    };
    op.vjp = [&](const Vec& theta, const Vec& r) {
      m.set_params(theta);
      Matrix rm(o.vocab, x.cols());
      rm.storage() = r;
      Vec g;
      m.vjp(x, rm, g);
      return g;
    };
    std::ostringstream name;
    name << "model " << model::to_string(c.act) << (c.bias ? "" : " no-bias") << (c.final_norm ? "" : " no-final-norm")
         << " blocks " << c.blocks;
    // ReLU: central differences would cross kinks; the adjoint identity holds exactly regardless.
    check_op(name.str().c_str(), op, m.params(), 1e-6, 23, c.act == model::Activation::gelu);
  }
  if (std::getenv("PGDX_TEST_VERBOSE"))
    std::printf("max so far: fd %.2e adjoint %.2e\n", g_max_fd, g_max_adjoint);
}

TEST_CASE("transformer last-position forward equals the full forward's last position", "[transformer]") {
  for (std::size_t blocks : {1, 2, 3})
    for (bool final_norm : {true, false}) {
      const auto o = tiny_options(true, final_norm, blocks);
      model::Transformer m = tiny_model(o, model::Activation::gelu, 31);
      Rng rng(32, Stream::test);
      const Matrix x = random_tokens(o.context, 7, o.vocab, rng);
      Matrix all, last;
      m.forward_all_positions(x, all);
      REQUIRE(all.cols() == x.cols() * o.context);
      m.forward(x, last);
      for (std::size_t i = 0; i < x.cols(); ++i)
        for (std::size_t k = 0; k < o.vocab; ++k)
          CHECK(last(k, i) == Approx(all(k, i * o.context + o.context - 1)).epsilon(1e-13).margin(1e-13));
      // Causality: the logits at position t do not depend on later tokens.
      Matrix changed = x, all_changed;
      for (std::size_t i = 0; i < x.cols(); ++i) changed(o.context - 1, i) = static_cast<double>((static_cast<std::size_t>(x(o.context - 1, i)) + 1) % o.vocab);
      m.forward_all_positions(changed, all_changed);
      for (std::size_t i = 0; i < x.cols(); ++i)
        for (std::size_t t = 0; t + 1 < o.context; ++t)
          for (std::size_t k = 0; k < o.vocab; ++k)
            CHECK(all_changed(k, i * o.context + t) == all(k, i * o.context + t));
    }
}

TEST_CASE("transformer forward cache: a parameter change or forget_cached_forward invalidates it", "[transformer]") {
  const auto o = tiny_options();
  model::Transformer m = tiny_model(o, model::Activation::gelu, 41);
  Rng rng(42, Stream::test);
  Matrix x = random_tokens(o.context, 5, o.vocab, rng);
  Matrix f, jv, jv_fresh;
  m.forward(x, f);
  Vec theta = m.params();
  for (double& t : theta) t += 0.3 * rng.normal();
  m.set_params(theta);
  const Vec v = test::random_vector(m.num_params(), rng);
  m.jvp(x, v, jv);
  model::Transformer fresh(o, model::Activation::gelu, 99);
  fresh.set_params(theta);
  fresh.jvp(x, v, jv_fresh);
  CHECK(jv.storage() == jv_fresh.storage());

  // In-place edit of the input: the cache cannot see it until told.
  x(0, 0) = static_cast<double>((static_cast<std::size_t>(x(0, 0)) + 3) % o.vocab);
  m.forget_cached_forward();
  fresh.forget_cached_forward();
  Matrix f_edit, f_fresh;
  m.forward(x, f_edit);
  fresh.forward(x, f_fresh);
  CHECK(f_edit.storage() == f_fresh.storage());

  // A full-sequence forward must not leave its all-position activations behind for jvp.
  Matrix all, jv_after;
  fresh.forward_all_positions(x, all);
  fresh.jvp(x, v, jv_after);
  model::Transformer third(o, model::Activation::gelu, 7);
  third.set_params(theta);
  Matrix jv_third;
  third.jvp(x, v, jv_third);
  CHECK(jv_after.storage() == jv_third.storage());
}

TEST_CASE("transformer jacobian_transposed agrees with jvp", "[transformer]") {
  const auto o = tiny_options(true, true, 2);
  model::Transformer m = tiny_model(o, model::Activation::gelu, 51);
  Rng rng(52, Stream::test);
  const Matrix x = random_tokens(o.context, 3, o.vocab, rng);
  Matrix jt, jv;
  m.jacobian_transposed(x, jt);
  REQUIRE(jt.rows() == m.num_params());
  REQUIRE(jt.cols() == 3 * o.vocab);
  const Vec v = test::random_vector(m.num_params(), rng);
  m.jvp(x, v, jv);
  Vec jtv(jt.cols());
  linalg::gemv(linalg::Op::transpose, 1.0, jt, v.data(), 0.0, jtv.data());
  CHECK(test::relative_difference(jtv, jv.storage()) < 1e-12);
}

TEST_CASE("transformer options: validation, names and registry entry", "[transformer]") {
  auto o = tiny_options();
  o.heads = 3;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("model.heads: must divide model.width"));
  o = tiny_options();
  o.max_positions = 3;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("model.max_positions"));
  o = tiny_options();
  o.blocks = 0;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("model.blocks"));

  CHECK(model::parse_model_kind("transformer") == model::ModelKind::transformer);
  CHECK(model::to_string(model::ModelKind::transformer) == "transformer");
  CHECK(model::parse_activation("gelu") == model::Activation::gelu);
  CHECK(model::to_string(model::Activation::gelu) == "gelu");

  model::MlpOptions mlp;
  mlp.activation = model::Activation::gelu;
  CHECK_THROWS_WITH(mlp.validate(), Catch::Contains("model.activation"));
  model::MlpOptions tf;
  tf.kind = model::ModelKind::transformer;
  tf.activation = model::Activation::tanh;
  CHECK_THROWS_WITH(tf.validate(), Catch::Contains("model.activation"));
  tf.activation = model::Activation::gelu;
  CHECK_NOTHROW(tf.validate());
  std::ostringstream text;
  text << tf;
  CHECK(text.str().rfind("Transformer(", 0) == 0);

  const auto caps = model::find_model(model::ModelKind::transformer).capabilities(tf);
  CHECK(caps.matrix_free);
  CHECK_FALSE(caps.structured_gram);
  CHECK_FALSE(caps.parameter_gram);
  CHECK_FALSE(caps.input_derivatives);
  CHECK(caps.why_no_structured_gram.find(": ") != std::string::npos);

  model::Transformer m(tiny_options(), model::Activation::gelu, 1);
  Matrix bad(4, 1, 0.0), f;
  bad(2, 0) = 11.0;
  CHECK_THROWS_AS(m.forward(bad, f), std::invalid_argument);
  bad(2, 0) = 1.5;
  CHECK_THROWS_AS(m.forward(bad, f), std::invalid_argument);
  CHECK_THROWS_AS(m.forward(Matrix(3, 1, 0.0), f), std::invalid_argument);
}

// Not a test: seconds per forward, jvp and vjp of the default model at batch 512
// (run with: pgdx_unit_tests "[.transformer_bench]").
TEST_CASE("transformer timing at the default size", "[.transformer_bench]") {
  model::Transformer m(model::TransformerOptions{}, model::Activation::gelu, 1);
  Rng rng(61, Stream::test);
  const Matrix x = random_tokens(4, 512, 99, rng);
  const Vec v = test::random_vector(m.num_params(), rng);
  Matrix f, jv, r = test::random_matrix(99, 512, rng);
  Vec g;
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::time_point a) { return std::chrono::duration<double>(clock::now() - a).count(); };
  const int reps = 5;
  double t_forward = 0, t_jvp = 0, t_vjp = 0;
  for (int k = 0; k < reps; ++k) {
    m.forget_cached_forward();
    auto t0 = clock::now();
    m.forward(x, f);
    t_forward += seconds(t0);
    t0 = clock::now();
    m.jvp(x, v, jv);
    t_jvp += seconds(t0);
    t0 = clock::now();
    m.vjp(x, r, g);
    t_vjp += seconds(t0);
  }
  std::printf("transformer d=128 batch 512: forward %.4f s, jvp %.4f s, vjp %.4f s (cached forward), GGN product %.4f s\n",
              t_forward / reps, t_jvp / reps, t_vjp / reps, (t_jvp + t_vjp) / reps);
  CHECK(f.cols() == 512);
}
