#include "pgdx/loss/output_loss.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>


namespace pgdx::loss {

std::string to_string(LossKind k) { return k == LossKind::cross_entropy ? "cross_entropy" : "mse"; }

std::optional<LossKind> parse_loss_kind(const std::string& name) {
  if (name == "mse") return LossKind::squared;
  if (name == "cross_entropy") return LossKind::cross_entropy;
  return std::nullopt;
}

void softmax(const double* f, std::size_t outputs, double* p) {
  const double top = *std::max_element(f, f + outputs);
  double sum = 0.0;
  for (std::size_t c = 0; c < outputs; ++c) sum += p[c] = std::exp(f[c] - top);
  for (std::size_t c = 0; c < outputs; ++c) p[c] /= sum;
}

namespace {

std::size_t samples_of(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs) {
  if (outputs == 0 || e.size() != y.size() || e.size() % outputs != 0)
    throw std::invalid_argument("OutputLoss: residual and targets must both be C × n");
  return e.size() / outputs;
}

// Sample i's logits f = e + y (into f) and its target mass Σ_k y_k.
double sample_logits(const std::vector<double>& e, const std::vector<double>& y, std::size_t i, std::size_t outputs,
                     std::vector<double>& f) {
  double mass = 0.0;
  for (std::size_t k = 0; k < outputs; ++k) {
    f[k] = e[i * outputs + k] + y[i * outputs + k];
    mass += y[i * outputs + k];
  }
  return mass;
}

}  // namespace

double OutputLoss::value(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs) const {
  const std::size_t n = samples_of(e, y, outputs);
  const double c = scale(n, outputs);
  double sum = 0.0;
  if (kind_ == LossKind::squared) {
    for (double v : e) sum += v * v;
    return c * 0.5 * sum;
  }
  std::vector<double> f(outputs);
  for (std::size_t i = 0; i < n; ++i) {
    const double mass = sample_logits(e, y, i, outputs, f);
    const double top = *std::max_element(f.begin(), f.end());
    double exps = 0.0, fit = 0.0;
    for (std::size_t k = 0; k < outputs; ++k) {
      exps += std::exp(f[k] - top);
      fit += y[i * outputs + k] * f[k];
    }
    sum += mass * (top + std::log(exps)) - fit;  // −Σ_k y_k log p_k
  }
  return c * sum;
}

void OutputLoss::gradient(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs,
                          std::vector<double>& q) const {
  const std::size_t n = samples_of(e, y, outputs);
  const double c = scale(n, outputs);
  q.resize(e.size());
  if (kind_ == LossKind::squared) {
    for (std::size_t r = 0; r < e.size(); ++r) q[r] = c * e[r];
    return;
  }
  std::vector<double> f(outputs);
  for (std::size_t i = 0; i < n; ++i) {
    const double mass = sample_logits(e, y, i, outputs, f);
    double* qi = q.data() + i * outputs;
    softmax(f.data(), outputs, qi);
    for (std::size_t k = 0; k < outputs; ++k) qi[k] = c * (mass * qi[k] - y[i * outputs + k]);
  }
}

void OutputLoss::hessian_blocks(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs,
                                std::vector<double>& blocks) const {
  const std::size_t n = samples_of(e, y, outputs);
  const double c = scale(n, outputs);
  const std::size_t block = outputs * outputs;
  blocks.assign(n * block, 0.0);
  if (kind_ == LossKind::squared) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < outputs; ++k) blocks[i * block + k * outputs + k] = c;
    return;
  }
  std::vector<double> f(outputs), p(outputs);
  for (std::size_t i = 0; i < n; ++i) {
    const double mass = sample_logits(e, y, i, outputs, f);
    softmax(f.data(), outputs, p.data());
    double* h = blocks.data() + i * block;
    for (std::size_t b = 0; b < outputs; ++b)
      for (std::size_t a = 0; a < outputs; ++a) h[a + b * outputs] = c * mass * ((a == b ? p[a] : 0.0) - p[a] * p[b]);
  }
}

void OutputLoss::hessian_times(const std::vector<double>& e, const std::vector<double>& y, std::size_t outputs,
                               const std::vector<double>& w, std::vector<double>& out) const {
  const std::size_t n = samples_of(e, y, outputs);
  if (w.size() != e.size()) throw std::invalid_argument("OutputLoss::hessian_times: w must be C × n like e");
  const double c = scale(n, outputs);
  out.resize(w.size());
  if (kind_ == LossKind::squared) {
    for (std::size_t r = 0; r < w.size(); ++r) out[r] = c * w[r];
    return;
  }
  std::vector<double> f(outputs), p(outputs);
  for (std::size_t i = 0; i < n; ++i) {
    const double mass = sample_logits(e, y, i, outputs, f);
    softmax(f.data(), outputs, p.data());
    const double* wi = w.data() + i * outputs;
    double along = 0.0;  // pᵀwᵢ
    for (std::size_t k = 0; k < outputs; ++k) along += p[k] * wi[k];
    for (std::size_t k = 0; k < outputs; ++k) out[i * outputs + k] = c * mass * (p[k] * wi[k] - p[k] * along);
  }
}

}  // namespace pgdx::loss
