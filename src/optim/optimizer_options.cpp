#include "pgdx/optim/optimizer_options.hpp"

#include <cmath>
#include <ostream>
#include <stdexcept>
#include <utility>

#include "pgdx/util/enum_names.hpp"

namespace pgdx::optim {
namespace {

const std::pair<Method, const char*> kMethods[] = {
    {Method::sgd, "sgd"}, {Method::adam, "adam"}, {Method::adamw, "adamw"}, {Method::lm, "lm"}, {Method::gn, "gn"},
    {Method::ggn, "ggn"}};
const std::pair<MuScale, const char*> kMuScales[] = {{MuScale::sum, "sum"}, {MuScale::mean, "mean"}};
const std::pair<DampingKind, const char*> kDampings[] = {
    {DampingKind::constant, "constant"}, {DampingKind::loglinear, "loglinear"}, {DampingKind::adaptive, "adaptive"}};
const std::pair<SolveSpace, const char*> kSolveSpaces[] = {
    {SolveSpace::automatic, "auto"}, {SolveSpace::sample, "sample"}, {SolveSpace::parameter, "parameter"}};
const std::pair<CutoffMode, const char*> kCutoffModes[] = {{CutoffMode::relative, "relative"},
                                                           {CutoffMode::absolute, "absolute"}};

const std::pair<CurvatureSolver, const char*> kCurvatureSolvers[] = {{CurvatureSolver::direct, "direct"},
                                                                     {CurvatureSolver::cg, "cg"}};
const std::pair<ArmijoFailure, const char*> kArmijoFailures[] = {{ArmijoFailure::smallest, "smallest"},
                                                                 {ArmijoFailure::skip, "skip"}};

void require(bool ok, const char* key, const char* constraint) {
  if (!ok) throw std::invalid_argument(std::string("optimizer.") + key + ": " + constraint);
}

bool positive(double x) { return std::isfinite(x) && x > 0; }

}  // namespace

std::string to_string(Method m) { return name_of(kMethods, m); }
std::string to_string(MuScale s) { return name_of(kMuScales, s); }
std::string to_string(DampingKind d) { return name_of(kDampings, d); }
std::string to_string(CutoffMode c) { return name_of(kCutoffModes, c); }
std::string to_string(SolveSpace s) { return name_of(kSolveSpaces, s); }
std::optional<SolveSpace> parse_solve_space(const std::string& s) { return value_of(kSolveSpaces, s); }
std::string to_string(CurvatureSolver s) { return name_of(kCurvatureSolvers, s); }
std::string to_string(ArmijoFailure a) { return name_of(kArmijoFailures, a); }
std::optional<CurvatureSolver> parse_curvature_solver(const std::string& s) { return value_of(kCurvatureSolvers, s); }
std::optional<ArmijoFailure> parse_armijo_failure(const std::string& s) { return value_of(kArmijoFailures, s); }
std::optional<Method> parse_method(const std::string& s) { return value_of(kMethods, s); }
std::optional<MuScale> parse_mu_scale(const std::string& s) { return value_of(kMuScales, s); }
std::optional<DampingKind> parse_damping(const std::string& s) { return value_of(kDampings, s); }
std::optional<CutoffMode> parse_cutoff_mode(const std::string& s) { return value_of(kCutoffModes, s); }

void OptimizerOptions::validate() const {
  require(positive(lr), "lr", "must be a finite number > 0");
  require(std::isfinite(beta1) && beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1)");
  require(std::isfinite(beta2) && beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1)");
  require(positive(eps), "eps", "must be a finite number > 0");
  require(std::isfinite(weight_decay) && weight_decay >= 0, "weight_decay", "must be a finite number >= 0");
  require(positive(mu), "mu", "must be a finite number > 0");
  require(positive(mu_final), "mu_final", "must be a finite number > 0");
  require(mu_decay_steps >= 1, "mu_decay_steps", "must be >= 1");
  require(std::isfinite(adaptive_grow) && adaptive_grow > 1, "adaptive_grow", "must be > 1");
  require(std::isfinite(adaptive_min_shrink) && adaptive_min_shrink > 0 && adaptive_min_shrink < 1,
          "adaptive_min_shrink", "must be in (0, 1)");
  require(max_attempts >= 1, "max_attempts", "must be >= 1");
  require(positive(mu_min), "mu_min", "must be a finite number > 0");
  require(positive(mu_max) && mu_max > mu_min, "mu_max", "must be a finite number > mu_min");
  require(cholesky_retries >= 0, "cholesky_retries", "must be >= 0");
  require(std::isfinite(cholesky_raise) && cholesky_raise > 1, "cholesky_raise", "must be > 1");
  require(std::isfinite(gn_cutoff) && gn_cutoff >= 0, "gn_cutoff", "must be a finite number >= 0");
  if (gn_cutoff_mode == CutoffMode::relative) require(gn_cutoff < 1, "gn_cutoff", "must be < 1 when relative");
  if (method == Method::ggn)
    require(damping != DampingKind::adaptive, "damping", "ggn takes constant or loglinear damping");
  require(warmup_steps >= 0, "warmup_steps", "must be >= 0");
  require(std::isfinite(cg_tolerance) && cg_tolerance > 0 && cg_tolerance < 1, "cg_tolerance", "must be in (0, 1)");
  require(cg_max_iterations >= 1 && cg_max_iterations <= 100000, "cg_max_iterations", "must be in [1, 100000]");
  require(std::isfinite(armijo_shrink) && armijo_shrink > 0 && armijo_shrink < 1, "armijo_shrink", "must be in (0, 1)");
  require(std::isfinite(armijo_c) && armijo_c > 0 && armijo_c < 1, "armijo_c", "must be in (0, 1)");
  require(armijo_max_trials >= 1 && armijo_max_trials <= 100, "armijo_max_trials", "must be in [1, 100]");
  if (solver == CurvatureSolver::cg) require(method == Method::ggn, "solver", "\"cg\" is the ggn optimizer's solver");
}

std::ostream& operator<<(std::ostream& os, const OptimizerOptions& o) {
  os << to_string(o.method) << "(lr " << o.lr;
  switch (o.method) {
    case Method::sgd:
      if (o.weight_decay > 0) os << ", weight_decay " << o.weight_decay;
      break;
    case Method::adam:
    case Method::adamw:
      os << ", betas " << o.beta1 << "/" << o.beta2 << ", eps " << o.eps << ", weight_decay " << o.weight_decay;
      if (o.warmup_steps > 0) os << ", warm-up " << o.warmup_steps << " steps";
      break;
    case Method::lm:
      os << ", mu " << o.mu << " (" << to_string(o.mu_scale) << " scale), damping " << to_string(o.damping);
      if (o.damping == DampingKind::loglinear) os << " to " << o.mu_final << " over " << o.mu_decay_steps;
      break;
    case Method::ggn:
      if (o.solver == CurvatureSolver::cg)
        os << ", solver cg (tol " << o.cg_tolerance << ", ≤ " << o.cg_max_iterations << " it), Armijo (τ " << o.armijo_shrink
           << ", c " << o.armijo_c << ", ≤ " << o.armijo_max_trials << " trials, else " << to_string(o.armijo_failure) << ")";
      os << ", mu " << o.mu << ", damping " << to_string(o.damping);
      if (o.damping == DampingKind::loglinear) os << " to " << o.mu_final << " over " << o.mu_decay_steps;
      if (o.weight_decay > 0) os << ", weight_decay " << o.weight_decay;
      break;
    case Method::gn:
      os << ", cutoff " << o.gn_cutoff << (o.gn_cutoff_mode == CutoffMode::relative ? "·λmax" : " (absolute)");
      break;
  }
  return os << ")";
}

}  // namespace pgdx::optim
