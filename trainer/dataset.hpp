// IDX dataset loading (MNIST, Fashion-MNIST, EMNIST): raw or gzip-compressed files.
//
// IDX layout (big-endian): magic 0x0000TTNN (TT = element type, 0x08 = unsigned byte; NN = number of
// dimensions), then NN 32-bit sizes, then the elements in row-major order. Images are 3-D
// (count × rows × cols), labels 1-D (count).
//
// Every header field is checked against the bytes that really follow it before anything is allocated from
// it, so that a corrupt or hostile file yields a std::runtime_error naming the file and the problem, never
// a huge allocation or a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace digit {

struct IdxImages {
    std::size_t count = 0;
    int rows = 0;
    int cols = 0;
    std::vector<std::uint8_t> pixels;  // count × rows × cols, row-major, 0 = background
};

struct IdxLabels {
    std::size_t count = 0;
    int num_classes = 0;  // largest label + 1 (0 when there are no labels)
    std::vector<std::uint8_t> labels;
};

// Parse an IDX file held in memory; gzip data (starting 1f 8b) is decompressed first. `name` is the file
// name used in error messages. These are the functions the fuzz target drives.
IdxImages parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& name);
IdxLabels parse_idx_labels(const std::uint8_t* data, std::size_t size, const std::string& name);

// Load an IDX file; whether it is gzip-compressed is decided by its first bytes, not its name.
IdxImages load_idx_images(const std::string& path);
IdxLabels load_idx_labels(const std::string& path);

// Images as floats in [0,1] (pixel / 255) with one label each.
struct LabelledImages {
    std::size_t count = 0;
    int rows = 0;
    int cols = 0;
    int num_classes = 0;        // largest label + 1 in this set
    std::vector<float> pixels;  // count × rows × cols
    std::vector<std::uint8_t> labels;
    std::string images_path;  // where the set came from, for messages
    std::string labels_path;

    std::size_t pixels_per_image() const { return static_cast<std::size_t>(rows) * cols; }
    const float* image(std::size_t index) const { return pixels.data() + index * pixels_per_image(); }
};

struct Dataset {
    LabelledImages train;
    LabelledImages test;
    int num_classes = 0;  // max of train and test
};

// Load one images file and its labels file; throws if the counts differ.
LabelledImages load_labelled_images(const std::string& images_path, const std::string& labels_path);

// Find and load the four IDX files in `dir`: {train,t10k}-{images-idx3,labels-idx1}-ubyte, optionally with
// ".gz", also spelt "train-images.idx3-ubyte" as some mirrors do; failing those, a single file in `dir`
// whose name ends in one of these (EMNIST's "emnist-digits-train-images-idx3-ubyte"). Train and test must
// have the same image size, and each must be non-empty.
Dataset load_dataset(const std::string& dir);

// The images at `indices`, in that order (for --limit, shuffling, carving a validation split).
LabelledImages select_images(const LabelledImages& source, const std::vector<std::size_t>& indices);

}  // namespace digit
