#include "pgdx/task/mnist.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "pgdx/task/data_dir.hpp"
#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/errors.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::task {
namespace {

constexpr std::size_t kPixels = 784;
constexpr std::size_t kClasses = 10;

std::vector<double> read_digits(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw DataError(path, std::filesystem::exists(path) ? "cannot be read"
                                                        : "no such file (run scripts/fetch_mnist.sh to unpack the digits)");
  nlohmann::json doc;
  try {
    in >> doc;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
    throw DataError(path, "expected an object with a \"data\" array");
  std::vector<double> pixels;
  pixels.reserve(doc["data"].size());
  for (const auto& v : doc["data"]) {
    if (!v.is_number()) throw DataError(path, "\"data\" holds a value that is not a number");
    const double x = v.get<double>();
    if (!(x >= 0.0 && x <= 1.0)) throw DataError(path, "a pixel is outside [0, 1]");
    pixels.push_back(x);
  }
  if (pixels.empty() || pixels.size() % kPixels != 0)
    throw DataError(path, "\"data\" must hold a multiple of 784 pixels (got " + std::to_string(pixels.size()) + ")");
  return pixels;
}

void append(Dataset& set, const std::vector<double>& pixels, std::size_t image, std::size_t label) {
  const std::size_t j = set.x.cols();
  set.x.storage().insert(set.x.storage().end(), pixels.begin() + static_cast<long>(image * kPixels),
                         pixels.begin() + static_cast<long>((image + 1) * kPixels));
  set.x.reshape(kPixels, j + 1);
  set.y.storage().resize((j + 1) * kClasses, 0.0);
  set.y.reshape(kClasses, j + 1);
  set.y(label, j) = 1.0;
}

}  // namespace

Mnist::Mnist(const std::string& data_dir, std::size_t train_per_class, std::uint64_t seed) : data_dir_(data_dir) {
  train_.x.resize(kPixels, 0);
  train_.y.resize(kClasses, 0);
  test_.x.resize(kPixels, 0);
  test_.y.resize(kClasses, 0);
  Rng rng(seed, Stream::data);
  for (std::size_t label = 0; label < kClasses; ++label) {
    const std::string path = (std::filesystem::path(data_dir) / (std::to_string(label) + ".json")).string();
    const std::vector<double> pixels = read_digits(path);
    const std::size_t count = pixels.size() / kPixels;
    counts_.push_back(count);
    if (count <= train_per_class)
      throw DataError(path, "has " + std::to_string(count) + " digits, not more than task.train_per_class = " +
                                std::to_string(train_per_class));
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    rng.shuffle(order);
    for (std::size_t i = 0; i < count; ++i) append(i < train_per_class ? train_ : test_, pixels, order[i], label);
  }
}

TaskEntry mnist_entry() {
  TaskEntry e;
  e.name = "mnist";
  e.keys = {{"train_per_class", &TaskOptions::train_per_class}, {"data_dir", &TaskOptions::data_dir}};
  e.dimensions = [](const TaskOptions&) { return std::pair<std::size_t, std::size_t>{784, 10}; };
  e.training_size = [](const TaskOptions& o) { return 10 * o.train_per_class; };
  e.classification = true;
  e.make = [](const TaskOptions& o, std::uint64_t seed) {
    const std::string hint = "scripts/fetch_mnist.sh unpacks the digits into the repository's data/mnist";
    return std::make_unique<Mnist>(find_data_dir(o.data_dir, o.job_file, hint), o.train_per_class, seed);
  };
  return e;
}

}  // namespace pgdx::task
