#pragma once
// Seeded random streams (xoshiro256** seeded by splitmix64). Written out rather than taken from
// <random> distributions because libstdc++'s distributions are not specified bit-for-bit: a run
// must be reproducible from (seed, stream) on any machine.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgdx {

// Purposes get independent streams so, e.g., a different batch order never changes the init.
enum class Stream : std::uint64_t { init = 1, data = 2, minibatch = 3, test = 4, teacher = 5, kernel_probe = 6 };

// One splitmix64 step: advances x and returns a well-mixed word (also a stateless hash of x).
std::uint64_t splitmix64(std::uint64_t& x);

class Rng {
 public:
  Rng(std::uint64_t seed, Stream stream);
  Rng(std::uint64_t seed, std::uint64_t stream);

  std::uint64_t next_u64();
  double uniform();                        // [0, 1), 53 random bits
  double uniform(double lo, double hi);    // [lo, hi)
  double normal();                         // N(0, 1), Box–Muller
  std::size_t below(std::size_t n);        // uniform integer in [0, n)
  template <class T>
  void shuffle(std::vector<T>& v) {        // Fisher–Yates
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  // Full state, for checkpoints: the four xoshiro words, then the cached normal flag and value bits.
  std::array<std::uint64_t, 6> state() const;
  void set_state(const std::array<std::uint64_t, 6>& s);

 private:
  std::array<std::uint64_t, 4> s_{};
  bool has_cached_normal_ = false;
  double cached_normal_ = 0.0;
};

}  // namespace pgdx
