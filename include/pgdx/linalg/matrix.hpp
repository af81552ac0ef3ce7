#pragma once
// Dense column-major matrix of doubles: the one storage type every numeric module shares.
#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace pgdx::linalg {

class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols, double fill = 0.0)
      : rows_(rows), cols_(cols), data_(rows * cols, fill) {}

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t size() const { return data_.size(); }
  double* data() { return data_.data(); }
  const double* data() const { return data_.data(); }
  double& operator()(std::size_t i, std::size_t j) { return data_[i + j * rows_]; }
  double operator()(std::size_t i, std::size_t j) const { return data_[i + j * rows_]; }
  double* col(std::size_t j) { return data_.data() + j * rows_; }
  const double* col(std::size_t j) const { return data_.data() + j * rows_; }
  std::vector<double>& storage() { return data_; }
  const std::vector<double>& storage() const { return data_; }

  // Keeps the allocation when the size does not grow (hot loops resize every step).
  void resize(std::size_t rows, std::size_t cols) {
    rows_ = rows;
    cols_ = cols;
    data_.resize(rows * cols);
  }
  void fill(double v) { data_.assign(data_.size(), v); }
  // Columns [begin, end) of this matrix, copied into out.
  void copy_columns(std::size_t begin, std::size_t end, Matrix& out) const {
    out.resize(rows_, end - begin);
    std::copy(col(begin), col(begin) + (end - begin) * rows_, out.data());
  }
  // New shape for the current storage (whose size must be rows × cols).
  void reshape(std::size_t rows, std::size_t cols) {
    if (rows * cols != data_.size()) throw std::length_error("Matrix::reshape: size mismatch");
    rows_ = rows;
    cols_ = cols;
  }

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<double> data_;
};

}  // namespace pgdx::linalg
