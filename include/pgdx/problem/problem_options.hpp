#pragma once
// How the least-squares problem of a run is laid out and how its Gram matrix is formed. These are
// properties of the problem, not of an optimizer: every phase of a run shares one problem. The
// config keys stay in the [optimizer] table (optimizer.gram, optimizer.gram_block,
// optimizer.gram_distributed_min_rows), where users look for them, but are read once per run.
#include <optional>
#include <string>

namespace pgdx::problem {

// How K = J Jᵀ is formed: "structured" from layer factors without J (models with the structured
// Gram capability), "explicit" from Jacobian rows (any model), "auto" = structured where possible.
enum class GramMode { automatic, structured, explicit_rows };

std::string to_string(GramMode g);
std::optional<GramMode> parse_gram_mode(const std::string& s);

struct ProblemOptions {
  GramMode gram = GramMode::automatic;
  // Block-cyclic block size of K (ScaLAPACK) and column-block width of its assembly.
  int gram_block = 64;
  // On several ranks K (N × N) is distributed and solved with ScaLAPACK only when N is at least
  // this; smaller systems are held whole on every rank and solved with LAPACK, which is faster
  // there (measured: docs/performance.md) and gives every rank count the same K.
  long gram_distributed_min_rows = 1024;
  // Matrix-free sums over samples (Jᵀz: gradients, GGN products). 0: each rank sums its share and
  // the ranks' sums are added by MPI_Allreduce — equal across rank counts to round-off. B > 0: the
  // batch is cut into fixed blocks of B samples, ranks take whole blocks, and the blocks' sums are
  // added in block order (Comm::ordered_block_sum) — the same bits on any number of ranks.
  std::size_t sample_block = 0;

  // Throws std::invalid_argument("optimizer.<key>: <constraint>") (the keys' config names).
  void validate() const;
};

}  // namespace pgdx::problem
