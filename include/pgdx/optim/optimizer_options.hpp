#pragma once
// Options of every optimizer in one plain struct: a sweep over optimizer.name keeps one set of
// keys. Defaults here; io/ fills it from [optimizer] and calls validate().
#include <iosfwd>
#include <optional>
#include <string>

namespace pgdx::optim {

enum class Method { sgd, adam, adamw, lm, gn, ggn };
// Scale μ is given on: "sum" adds μ to JᵀJ as written; "mean" adds it to JᵀJ/n, i.e. μ_sum = n·μ.
enum class MuScale { sum, mean };
enum class DampingKind { constant, loglinear, adaptive };
// GN cut-off ε: "relative" drops eigenvalues λ ≤ ε·λ_max(K); "absolute" drops λ ≤ ε.
enum class CutoffMode { relative, absolute };
// Where LM solves: "sample" (μI + JJᵀ)z = e (N × N), "parameter" (μI + JᵀJ)h = Jᵀe (p × p),
// "auto" = parameter when p < N and the model can form JᵀJ without J, else sample.
enum class SolveSpace { automatic, sample, parameter };
// How GGN solves (μI + G)h = g: "direct" forms the N × N curvature Gram matrix (sample space,
// Woodbury); "cg" never forms a matrix: conjugate gradients on G v = Jᵀ H J v products.
enum class CurvatureSolver { direct, cg };
// When no Armijo trial passes: "smallest" takes the smallest step tried, "skip" leaves θ unchanged.
enum class ArmijoFailure { smallest, skip };

std::string to_string(Method m);
std::string to_string(MuScale s);
std::string to_string(DampingKind d);
std::string to_string(CutoffMode c);
std::string to_string(SolveSpace s);
std::optional<Method> parse_method(const std::string& s);
std::optional<MuScale> parse_mu_scale(const std::string& s);
std::optional<DampingKind> parse_damping(const std::string& s);
std::optional<CutoffMode> parse_cutoff_mode(const std::string& s);
std::optional<SolveSpace> parse_solve_space(const std::string& s);
std::string to_string(CurvatureSolver s);
std::string to_string(ArmijoFailure a);
std::optional<CurvatureSolver> parse_curvature_solver(const std::string& s);
std::optional<ArmijoFailure> parse_armijo_failure(const std::string& s);

struct OptimizerOptions {
  Method method = Method::sgd;
  double lr = 1e-2;  // η, every method

  // Adam / AdamW (PyTorch conventions: Adam's weight decay is coupled L2, AdamW's decoupled).
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // also coupled L2 for SGD
  // Adam / AdamW: η·min(1, t/warmup_steps) at step t = 1, 2, … (0: no warm-up)
  long warmup_steps = 0;

  // Levenberg–Marquardt
  double mu = 0.1;
  MuScale mu_scale = MuScale::sum;
  DampingKind damping = DampingKind::constant;
  double mu_final = 1e-4;         // loglinear: μ(i) goes from mu to mu_final over mu_decay_steps
  long mu_decay_steps = 500;
  double adaptive_grow = 2.0;        // Nielsen: initial ν, μ ← μ·ν and ν ← 2ν on a rejected step
  double adaptive_min_shrink = 1.0 / 3.0;  // Nielsen: μ ← μ·max(this, 1 − (2ρ − 1)³) on an accepted step
  int max_attempts = 10;             // adaptive: solves per step before the step is rejected
  double mu_min = 1e-15;
  double mu_max = 1e15;
  int cholesky_retries = 3;          // failed Cholesky: μ ← μ·cholesky_raise, this many times, then eigen solve
  double cholesky_raise = 10.0;

  // LM: where the system is solved (the Gram matrix's layout is the problem's: problem_options.hpp)
  SolveSpace solve_space = SolveSpace::automatic;

  // Gauss–Newton
  double gn_cutoff = 1e-6;
  CutoffMode gn_cutoff_mode = CutoffMode::relative;

  // Generalised Gauss–Newton: the solver; for cg, (μI + G)h = g with G the GGN of the loss as
  // reduced (batch mean for cross-entropy) and μ added as written, then θ ← θ − η h with η from an
  // Armijo backtracking line search starting at η₀ = lr.
  CurvatureSolver solver = CurvatureSolver::direct;
  double cg_tolerance = 1e-6;      // stop at ‖r‖ ≤ cg_tolerance · ‖g‖
  long cg_max_iterations = 150;
  double armijo_shrink = 0.5;      // τ: η ← τη after a failed trial
  double armijo_c = 1e-4;          // accept L(θ − ηh) ≤ L(θ) − c η gᵀh
  long armijo_max_trials = 10;     // loss-only evaluations on the step's minibatch
  ArmijoFailure armijo_failure = ArmijoFailure::smallest;

  // Throws std::invalid_argument("optimizer.<key>: <constraint>").
  void validate() const;
};

std::ostream& operator<<(std::ostream& os, const OptimizerOptions& o);

}  // namespace pgdx::optim
