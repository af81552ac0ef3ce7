#include "pgdx/model/transformer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "pgdx/model/initializers.hpp"
#include "pgdx/model/model_registry.hpp"
#include "pgdx/util/rng.hpp"
#include "transformer_block.hpp"
#include "transformer_layers.hpp"

namespace pgdx::model {

namespace tl = transformer_layers;
using transformer_detail::at;
using transformer_detail::block_params;
using transformer_detail::BlockShape;

void TransformerOptions::validate() const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
  };
  require(vocab >= 1, "model.vocab: must be >= 1");
  require(context >= 1, "model.context: must be >= 1");
  require(max_positions >= context, "model.max_positions: must be >= model.context");
  require(width >= 1, "model.width: must be >= 1");
  require(heads >= 1, "model.heads: must be >= 1");
  require(width % heads == 0, "model.heads: must divide model.width (" + std::to_string(width) + ")");
  require(blocks >= 1, "model.blocks: must be >= 1");
  require(mlp_width >= 1, "model.mlp_width: must be >= 1");
}

std::size_t transformer_parameter_count(const TransformerOptions& o) {
  const std::size_t d = o.width, f = o.mlp_width, v = o.vocab;
  const std::size_t per_block = 4 * d * d + 2 * f * d + 4 * d + (o.bias ? 5 * d + f : 0);
  return v * d + o.max_positions * d + o.blocks * per_block + (o.final_norm ? 2 * d : 0) + v * d + (o.bias ? v : 0);
}

double transformer_forward_flops(const TransformerOptions& o) {
  const double d = double(o.width), f = double(o.mlp_width), t = double(o.context), v = double(o.vocab);
  double flops = 0.0;
  for (std::size_t b = 0; b < o.blocks; ++b) {
    const double rows = b + 1 == o.blocks ? 1.0 : t;  // positions whose queries, residual and MLP are needed
    flops += 2 * (2 * d * d) * t;                     // keys and values at every position
    flops += 2 * d * d * rows;                        // queries
    flops += 2 * 2 * t * d * rows;                    // scores and weighted values (causal: at most t keys)
    flops += 2 * d * d * rows;                        // output projection
    flops += 2 * 2 * d * f * rows;                    // MLP
  }
  return flops + 2 * d * v;  // head
}

double transformer_cached_doubles(const TransformerOptions& o) {
  // Per block and position: input, q/k/v, attention output and probabilities, two LayerNorms (with
  // their normalised inputs), MLP pre-activation and slope, outputs; then the embeddings and head input.
  const double d = double(o.width), f = double(o.mlp_width), t = double(o.context), h = double(o.heads);
  return double(o.blocks) * t * (10 * d + 2 * f + h * t) + t * d + 2 * d;
}

namespace {

Transformer::Offsets layout(const TransformerOptions& o) {
  const std::size_t d = o.width, f = o.mlp_width;
  std::size_t next = 0;
  auto take = [&next](std::size_t count) {
    const std::size_t at = next;
    next += count;
    return at;
  };
  auto take_bias = [&](std::size_t count) { return o.bias ? take(count) : Transformer::absent; };
  Transformer::Offsets out{};
  out.tok = take(o.vocab * d);
  out.pos = take(o.max_positions * d);
  for (std::size_t b = 0; b < o.blocks; ++b) {
    Transformer::BlockOffsets k{};
    k.in_w = take(3 * d * d);
    k.in_b = take_bias(3 * d);
    k.out_w = take(d * d);
    k.out_b = take_bias(d);
    k.ln1_g = take(d);
    k.ln1_b = take(d);
    k.fc1_w = take(f * d);
    k.fc1_b = take_bias(f);
    k.fc2_w = take(d * f);
    k.fc2_b = take_bias(d);
    k.ln2_g = take(d);
    k.ln2_b = take(d);
    out.blocks.push_back(k);
  }
  out.lnf_g = o.final_norm ? take(d) : Transformer::absent;
  out.lnf_b = o.final_norm ? take(d) : Transformer::absent;
  out.head_w = take(o.vocab * d);
  out.head_b = take_bias(o.vocab);
  out.total = next;
  return out;
}

void check_tokens(const Matrix& x, const TransformerOptions& o) {
  if (x.rows() != o.context)
    throw std::invalid_argument("Transformer: input has " + std::to_string(x.rows()) + " rows, model expects " +
                                std::to_string(o.context) + " tokens");
  const double vocab = static_cast<double>(o.vocab);
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double t = x.data()[k];
    if (!(t >= 0.0 && t < vocab && t == std::floor(t)))
      throw std::invalid_argument("Transformer: input holds " + std::to_string(t) + ", not a token id in [0, " +
                                  std::to_string(o.vocab) + ")");
  }
}

}  // namespace

Transformer::Transformer(const TransformerOptions& options, Activation activation, std::uint64_t seed)
    : options_(options), activation_(activation) {
  options_.validate();
  if (activation_ != Activation::gelu && activation_ != Activation::relu)
    throw std::invalid_argument("model.activation: a transformer uses gelu or relu");
  offsets_ = layout(options_);
  theta_.assign(offsets_.total, 0.0);
  const std::size_t d = options_.width, f = options_.mlp_width;
  Rng rng(seed, Stream::init);
  // Draws in θ order, so the stream position of a parameter is its offset among the random ones.
  auto draw = [&](std::size_t offset, std::size_t count, Init init, std::size_t fan_in, std::size_t fan_out) {
    if (offset == absent) return;
    for (std::size_t k = 0; k < count; ++k) theta_[offset + k] = initial_value(init, fan_in, fan_out, rng);
  };
  auto ones = [&](std::size_t offset) {
    for (std::size_t k = 0; k < d; ++k) theta_[offset + k] = 1.0;
  };
  draw(offsets_.tok, options_.vocab * d, Init::standard_normal, d, d);
  draw(offsets_.pos, options_.max_positions * d, Init::standard_normal, d, d);
  for (const BlockOffsets& b : offsets_.blocks) {
    draw(b.in_w, 3 * d * d, Init::glorot_uniform, d, 3 * d);   // in_proj bias stays 0
    draw(b.out_w, d * d, Init::kaiming_uniform, d, d);         // out_proj bias stays 0
    ones(b.ln1_g);
    draw(b.fc1_w, f * d, Init::kaiming_uniform, d, f);
    draw(b.fc1_b, f, Init::kaiming_uniform, d, f);
    draw(b.fc2_w, d * f, Init::kaiming_uniform, f, d);
    draw(b.fc2_b, d, Init::kaiming_uniform, f, d);
    ones(b.ln2_g);
  }
  if (options_.final_norm) ones(offsets_.lnf_g);
  draw(offsets_.head_w, options_.vocab * d, Init::kaiming_uniform, d, options_.vocab);
  draw(offsets_.head_b, options_.vocab, Init::kaiming_uniform, d, options_.vocab);
}

Transformer::~Transformer() = default;
Transformer::Transformer(Transformer&&) noexcept = default;
Transformer& Transformer::operator=(Transformer&&) noexcept = default;

void Transformer::set_params(const std::vector<double>& theta) {
  if (theta.size() != theta_.size())
    throw std::invalid_argument("Transformer::set_params: got " + std::to_string(theta.size()) +
                                " values, model has " + std::to_string(theta_.size()));
  theta_ = theta;
  ++version_;
}

namespace {
BlockShape block_shape(const TransformerOptions& o, Activation act, std::size_t n, std::size_t b, bool all) {
  return {n, o.context, o.width, o.heads, o.mlp_width, act, !all && b + 1 == o.blocks};
}
}  // namespace

void Transformer::run_forward(const Matrix& x, bool all_positions, transformer_detail::Cache& c) {
  check_tokens(x, options_);
  const double* t = theta_.data();
  tl::embedding_forward(t + offsets_.tok, t + offsets_.pos, options_.width, x, c.h0);
  c.blocks.resize(options_.blocks);
  for (std::size_t b = 0; b < options_.blocks; ++b)
    transformer_detail::block_forward(block_shape(options_, activation_, x.cols(), b, all_positions),
                                      block_params(t, offsets_.blocks[b]), b == 0 ? c.h0 : c.blocks[b - 1].out,
                                      c.blocks[b], c.scratch);
  if (options_.final_norm)
    tl::layernorm_forward(t + offsets_.lnf_g, t + offsets_.lnf_b, c.blocks.back().out, c.xf, c.lnf);
  else
    c.xf = c.blocks.back().out;
}

transformer_detail::Cache& Transformer::ensure_forward(const Matrix& x) {
  ++uses_;
  for (CacheEntry& e : caches_)
    if (e.x == x.data() && e.cols == x.cols() && e.version == version_ && x.rows() == options_.context) {
      e.last_used = uses_;
      return *e.cache;
    }
  CacheEntry* slot = nullptr;
  if (caches_.size() < kCacheEntries) {
    caches_.push_back({nullptr, 0, 0, 0, std::make_unique<transformer_detail::Cache>()});
    slot = &caches_.back();
  } else {  // an entry of an older θ, else the least recently used
    slot = &*std::min_element(caches_.begin(), caches_.end(), [&](const CacheEntry& a, const CacheEntry& b) {
      return std::pair(a.version == version_, a.last_used) < std::pair(b.version == version_, b.last_used);
    });
  }
  slot->x = nullptr;  // a throw below must not leave a half-written cache marked valid
  run_forward(x, false, *slot->cache);
  slot->x = x.data();
  slot->cols = x.cols();
  slot->version = version_;
  slot->last_used = uses_;
  return *slot->cache;
}

void Transformer::forward(const Matrix& x, Matrix& f) {
  const transformer_detail::Cache& c = ensure_forward(x);
  tl::linear_forward(theta_.data() + offsets_.head_w, at(theta_.data(), offsets_.head_b), options_.vocab, c.xf, f);
}

void Transformer::forward_all_positions(const Matrix& x, Matrix& f) {
  transformer_detail::Cache c;  // every position: not a cache jvp and vjp could use
  run_forward(x, true, c);
  tl::linear_forward(theta_.data() + offsets_.head_w, at(theta_.data(), offsets_.head_b), options_.vocab, c.xf, f);
}

void Transformer::jvp(const Matrix& x, const std::vector<double>& v, Matrix& jv) {
  if (v.size() != theta_.size()) throw std::invalid_argument("Transformer::jvp: direction has the wrong length");
  transformer_detail::Cache& c = ensure_forward(x);
  const double* t = theta_.data();
  const double* dt = v.data();
  Matrix &dx = c.tangent, &dnext = c.tangent_next;
  tl::embedding_forward(dt + offsets_.tok, dt + offsets_.pos, options_.width, x, dx);  // linear in (E, P)
  for (std::size_t b = 0; b < options_.blocks; ++b) {
    transformer_detail::block_jvp(block_shape(options_, activation_, x.cols(), b, false),
                                  block_params(t, offsets_.blocks[b]), block_params(dt, offsets_.blocks[b]),
                                  b == 0 ? c.h0 : c.blocks[b - 1].out, c.blocks[b], dx, dnext, c.scratch);
    std::swap(dx, dnext);
  }
  if (options_.final_norm) {
    tl::layernorm_jvp(t + offsets_.lnf_g, dt + offsets_.lnf_g, dt + offsets_.lnf_b, c.lnf, dx, dnext);
    std::swap(dx, dnext);
  }
  tl::linear_jvp(t + offsets_.head_w, dt + offsets_.head_w, at(dt, offsets_.head_b), options_.vocab, c.xf, &dx, jv);
}

void Transformer::vjp(const Matrix& x, const Matrix& r, std::vector<double>& grad) {
  if (r.rows() != options_.vocab || r.cols() != x.cols())
    throw std::invalid_argument("Transformer::vjp: cotangent shape mismatch");
  transformer_detail::Cache& c = ensure_forward(x);
  const double* t = theta_.data();
  grad.assign(theta_.size(), 0.0);
  double* g = grad.data();
  Matrix &gx = c.tangent, &gnext = c.tangent_next;
  tl::linear_vjp(t + offsets_.head_w, options_.vocab, c.xf, r, g + offsets_.head_w, at(g, offsets_.head_b), &gx);
  if (options_.final_norm) {
    tl::layernorm_vjp(t + offsets_.lnf_g, c.lnf, gx, g + offsets_.lnf_g, g + offsets_.lnf_b, gnext);
    std::swap(gx, gnext);
  }
  for (std::size_t b = options_.blocks; b-- > 0;) {
    transformer_detail::block_vjp(block_shape(options_, activation_, x.cols(), b, false),
                                  block_params(t, offsets_.blocks[b]), block_params(g, offsets_.blocks[b]),
                                  b == 0 ? c.h0 : c.blocks[b - 1].out, c.blocks[b], gx, gnext, c.scratch);
    std::swap(gx, gnext);
  }
  tl::embedding_vjp(x, gx, g + offsets_.tok, g + offsets_.pos);
}

void Transformer::jacobian_transposed(const Matrix& x, Matrix& jt) {
  const std::size_t n = x.cols(), classes = options_.vocab;
  jt.resize(theta_.size(), n * classes);
  Matrix unit(classes, n, 0.0);
  std::vector<double> column;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < classes; ++k) {
      unit(k, i) = 1.0;
      vjp(x, unit, column);
      unit(k, i) = 0.0;
      std::copy(column.begin(), column.end(), jt.col(i * classes + k));
    }
}

ModelEntry transformer_entry() {
  ModelEntry e;
  e.kind = ModelKind::transformer;
  e.capabilities = [](const MlpOptions&) {
    ModelCapabilities c;
    c.structured_gram = false;
    c.parameter_gram = false;
    c.input_derivatives = false;
    c.matrix_free = true;
    c.token_inputs = true;
    c.explicit_jacobian = false;
    c.why_no_explicit_jacobian =
        "optimizer.name: a transformer's Jacobian (p × n·vocab numbers) is far too large to form; use "
        "optimizer.name = \"ggn\" with optimizer.solver = \"cg\", or adam";
    c.why_no_structured_gram =
        "optimizer.gram: a transformer has no structured Gram; use optimizer.name = \"ggn\" with "
        "optimizer.solver = \"cg\", or adam";
    c.why_no_parameter_gram =
        "optimizer.name: a transformer has no parameter-space Gram; use optimizer.name = \"ggn\" with "
        "optimizer.solver = \"cg\", or adam";
    c.why_no_input_derivatives = "model.kind: PDE residuals need model.kind = \"mlp\"";
    return c;
  };
  e.parameter_count = [](const MlpOptions& o) { return transformer_parameter_count(o.transformer); };
  e.make = [](const MlpOptions& o, std::uint64_t seed) {
    o.validate();
    return std::make_unique<Transformer>(o.transformer, o.activation, seed);
  };
  return e;
}

}  // namespace pgdx::model
