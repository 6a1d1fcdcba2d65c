// Tensor: a contiguous, 64-byte aligned float32 array in NCHW order (batch, channels, height, width).
// Vectors and matrices use the same type with trailing dimensions of 1: a dense layer's activations are
// (N, features, 1, 1), its weight (out, in, 1, 1). Resizing keeps the allocation when it is large enough, so
// workspaces are allocated once and reused every step.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnn {

// Throws std::invalid_argument with a message when a shape or argument check fails.
inline void check(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
}

struct Shape {
    int c = 0, h = 0, w = 0;  // one sample's shape; the batch size is separate
    size_t size() const { return size_t(c) * size_t(h) * size_t(w); }
    bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
    bool operator!=(const Shape& o) const { return !(*this == o); }
    std::string str() const {
        std::ostringstream s;
        s << c << "x" << h << "x" << w;
        return s.str();
    }
};

class Tensor {
  public:
    Tensor() = default;
    Tensor(int n, int c, int h = 1, int w = 1) { resize(n, c, h, w); }

    void resize(int n, int c, int h = 1, int w = 1) {
        check(n >= 0 && c >= 0 && h >= 0 && w >= 0, "Tensor: negative dimension");
        dims_ = {n, c, h, w};
        size_t count = size_t(n) * size_t(c) * size_t(h) * size_t(w);
        if (data_.size() < count) data_.resize(count);
        size_ = count;
    }
    void resize(int n, const Shape& s) { resize(n, s.c, s.h, s.w); }

    int n() const { return dims_[0]; }
    int c() const { return dims_[1]; }
    int h() const { return dims_[2]; }
    int w() const { return dims_[3]; }
    Shape sample_shape() const { return {dims_[1], dims_[2], dims_[3]}; }
    size_t sample_size() const { return size_t(dims_[1]) * size_t(dims_[2]) * size_t(dims_[3]); }
    size_t size() const { return size_; }
    const std::array<int, 4>& dims() const { return dims_; }

    float* data() { return data_.data(); }
    const float* data() const { return data_.data(); }
    float* sample(int i) { return data_.data() + size_t(i) * sample_size(); }
    const float* sample(int i) const { return data_.data() + size_t(i) * sample_size(); }
    float& operator[](size_t i) { return data_[i]; }
    float operator[](size_t i) const { return data_[i]; }
    float& at(int n, int c, int h, int w) {
        return data_[((size_t(n) * dims_[1] + c) * dims_[2] + h) * dims_[3] + w];
    }
    float at(int n, int c, int h, int w) const {
        return data_[((size_t(n) * dims_[1] + c) * dims_[2] + h) * dims_[3] + w];
    }

    void fill(float v) { std::fill(data_.begin(), data_.begin() + size_, v); }
    void zero() { fill(0.0f); }
    void copy_from(const Tensor& o) {
        resize(o.n(), o.c(), o.h(), o.w());
        std::copy(o.data(), o.data() + o.size(), data());
    }
    std::string shape_str() const {
        std::ostringstream s;
        s << "(" << dims_[0] << ", " << dims_[1] << ", " << dims_[2] << ", " << dims_[3] << ")";
        return s.str();
    }

  private:
    std::vector<float, Eigen::aligned_allocator<float>> data_;
    std::array<int, 4> dims_{0, 0, 0, 0};
    size_t size_ = 0;
};

// Row-major Eigen views of raw buffers, used for the matrix products inside the layers.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<RowMatrix>;
using ConstMatMap = Eigen::Map<const RowMatrix>;
using VecMap = Eigen::Map<Eigen::VectorXf>;
using ConstVecMap = Eigen::Map<const Eigen::VectorXf>;

}  // namespace cnn
