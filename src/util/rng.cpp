#include "pgdx/util/rng.hpp"

#include <cmath>
#include <cstring>

namespace pgdx {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

namespace {

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(std::uint64_t seed, Stream stream) : Rng(seed, static_cast<std::uint64_t>(stream)) {}

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t x = seed * 0xD1B54A32D192ED03ULL ^ (stream + 0x632BE59BD9B4E019ULL);
  for (auto& word : s_) word = splitmix64(x);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Rng::normal() {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  double u1 = 0.0;
  do {
    u1 = uniform();
  } while (u1 <= 0.0);
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * M_PI * u2;
  cached_normal_ = radius * std::sin(angle);
  has_cached_normal_ = true;
  return radius * std::cos(angle);
}

std::size_t Rng::below(std::size_t n) {
  // Rejection sampling removes the modulo bias.
  const std::uint64_t bound = static_cast<std::uint64_t>(n);
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t x = 0;
  do {
    x = next_u64();
  } while (x >= limit);
  return static_cast<std::size_t>(x % bound);
}

std::array<std::uint64_t, 6> Rng::state() const {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &cached_normal_, sizeof bits);
  return {s_[0], s_[1], s_[2], s_[3], has_cached_normal_ ? 1ULL : 0ULL, bits};
}

void Rng::set_state(const std::array<std::uint64_t, 6>& s) {
  for (int i = 0; i < 4; ++i) s_[static_cast<std::size_t>(i)] = s[static_cast<std::size_t>(i)];
  has_cached_normal_ = s[4] != 0;
  std::memcpy(&cached_normal_, &s[5], sizeof cached_normal_);
}

}  // namespace pgdx
