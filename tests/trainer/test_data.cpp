// Tests of the trainer's data layer: IDX loading (valid and malformed files, raw and gzip), dataset
// discovery, augmentation and the progress bar.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "augment.hpp"
#include "dataset.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;
using digit::Augmenter;
using digit::AugmentOptions;
using digit::AugmentParams;

namespace {

constexpr std::uint32_t kImageMagic = 0x00000803;
constexpr std::uint32_t kLabelMagic = 0x00000801;

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "digit-data-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

using Bytes = std::vector<std::uint8_t>;

void append_big_endian(Bytes& bytes, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(value >> shift));
}

Bytes idx_file(std::uint32_t magic, const std::vector<std::uint32_t>& dims, const Bytes& payload) {
    Bytes bytes;
    append_big_endian(bytes, magic);
    for (std::uint32_t dim : dims) append_big_endian(bytes, dim);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

Bytes ramp(std::size_t count, std::uint8_t start = 0) {
    Bytes values(count);
    for (std::size_t i = 0; i < count; ++i) values[i] = static_cast<std::uint8_t>(start + i * 7);
    return values;
}

Bytes image_file(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
    return idx_file(kImageMagic, {count, rows, cols}, ramp(std::size_t{count} * rows * cols));
}

Bytes label_file(const Bytes& labels) {
    return idx_file(kLabelMagic, {std::uint32_t(labels.size())}, labels);
}

void write_file(const std::string& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

void write_gzip_file(const std::string& path, const Bytes& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
    REQUIRE(gzclose(file) == Z_OK);
}

Bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The message of the std::runtime_error that `action` throws ("" if none).
std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// IDX files

TEST_CASE("IDX images and labels load from raw files", "[idx]") {
    TempDir dir;
    write_file(dir.file("images"), image_file(3, 4, 5));
    write_file(dir.file("labels"), label_file({2, 0, 7}));

    const digit::IdxImages images = digit::load_idx_images(dir.file("images"));
    CHECK(images.count == 3);
    CHECK(images.rows == 4);
    CHECK(images.cols == 5);
    CHECK(images.pixels == ramp(60));

    const digit::IdxLabels labels = digit::load_idx_labels(dir.file("labels"));
    CHECK(labels.count == 3);
    CHECK(labels.labels == Bytes{2, 0, 7});
    CHECK(labels.num_classes == 8);
}

TEST_CASE("IDX parsing from memory matches loading the file", "[idx]") {
    const Bytes bytes = image_file(2, 3, 3);
    const digit::IdxImages images = digit::parse_idx_images(bytes.data(), bytes.size(), "buffer");
    CHECK(images.count == 2);
    CHECK(images.pixels == ramp(18));
    const Bytes labels = label_file({1, 9});
    CHECK(digit::parse_idx_labels(labels.data(), labels.size(), "buffer").labels == Bytes{1, 9});
}

TEST_CASE("IDX files with zero images are valid", "[idx]") {
    TempDir dir;
    write_file(dir.file("images"), image_file(0, 28, 28));
    write_file(dir.file("labels"), label_file({}));
    CHECK(digit::load_idx_images(dir.file("images")).count == 0);
    CHECK(digit::load_idx_labels(dir.file("labels")).num_classes == 0);
}

TEST_CASE("IDX errors name the file and the problem", "[idx]") {
    TempDir dir;
    const std::string path = dir.file("train-images-idx3-ubyte");

    SECTION("missing file") {
        CHECK(error_of([&] { digit::load_idx_images(path); }) == path + ": not found");
    }
    SECTION("a directory") {
        CHECK(error_of([&] { digit::load_idx_images(dir.path().string()); }) ==
              dir.path().string() + ": is a directory, not an IDX file");
    }
    SECTION("empty file") {
        write_file(path, {});
        CHECK(error_of([&] { digit::load_idx_images(path); }) == path + ": empty, not an IDX image file");
    }
    SECTION("a label file where images are expected") {
        write_file(path, label_file({1, 2, 3}));
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path +
                  ": wrong magic 0x00000801 (expected 0x00000803 for an image file); this looks like a label "
                  "file");
    }
    SECTION("an image file where labels are expected") {
        write_file(path, image_file(1, 2, 2));
        CHECK(error_of([&] { digit::load_idx_labels(path); }) ==
              path +
                  ": wrong magic 0x00000803 (expected 0x00000801 for a label file); this looks like an image "
                  "file");
    }
    SECTION("not an IDX file at all") {
        write_file(path, {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path + ": wrong magic 0x89504E47 (expected 0x00000803 for an image file)");
    }
    SECTION("float elements") {
        write_file(path, idx_file(0x00000D03, {1, 1, 1}, {0, 0, 0, 0}));
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path +
                  ": unsupported IDX element type 0x0D (float32) in magic 0x00000D03; only 0x08 (unsigned "
                  "byte) "
                  "is supported");
    }
    SECTION("header cut short") {
        write_file(path, {0, 0, 8, 3, 0, 0, 0, 5, 0, 0});
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path + ": truncated: the header ends after 10 bytes (an IDX image header is 16 bytes)");
    }
    SECTION("fewer pixels than the header says") {
        Bytes bytes = image_file(5, 4, 4);
        bytes.resize(16 + 20);
        write_file(path, bytes);
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path +
                  ": truncated: header says 5 images of 4x4 (80 bytes) but the file holds 20 bytes after its "
                  "16-byte header");
    }
    SECTION("fewer labels than the header says") {
        Bytes bytes = label_file({1, 2, 3, 4});
        bytes.pop_back();
        write_file(path, bytes);
        CHECK(error_of([&] { digit::load_idx_labels(path); }) ==
              path +
                  ": truncated: header says 4 labels (4 bytes) but the file holds 3 bytes after its 8-byte "
                  "header");
    }
    SECTION("trailing bytes") {
        Bytes bytes = image_file(2, 3, 3);
        bytes.insert(bytes.end(), {1, 2, 3});
        write_file(path, bytes);
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path + ": trailing garbage: 3 bytes after the 2 images of 3x3 the header declares");
    }
    SECTION("zero-sized images") {
        write_file(path, idx_file(kImageMagic, {1, 0, 28}, {}));
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path + ": header says images of 0x28 pixels; each side must be 1..65536");
    }
    SECTION("an absurd header is compared with the file size before anything is allocated") {
        write_file(path, idx_file(kImageMagic, {0xFFFFFFFF, 65536, 65536}, {1, 2, 3}));
        CHECK(
            error_of([&] { digit::load_idx_images(path); }) ==
            path +
                ": truncated: header says 4294967295 images of 65536x65536 (18446744069414584320 bytes) but "
                "the file holds 3 bytes after its 16-byte header");
    }
}

TEST_CASE("image and label counts must agree", "[idx]") {
    TempDir dir;
    write_file(dir.file("images"), image_file(3, 2, 2));
    write_file(dir.file("labels"), label_file({1, 2}));
    CHECK(error_of([&] { digit::load_labelled_images(dir.file("images"), dir.file("labels")); }) ==
          dir.file("images") + ": 3 images but 2 labels in " + dir.file("labels"));
}

TEST_CASE("gzip-compressed IDX files", "[idx][gzip]") {
    TempDir dir;
    const std::string path = dir.file("train-images-idx3-ubyte.gz");

    SECTION("load like the raw file") {
        write_gzip_file(path, image_file(4, 28, 28));
        const digit::IdxImages images = digit::load_idx_images(path);
        CHECK(images.count == 4);
        CHECK(images.rows == 28);
        CHECK(images.pixels == ramp(4 * 28 * 28));
        const Bytes compressed = read_file(path);
        CHECK(digit::parse_idx_images(compressed.data(), compressed.size(), "mem").pixels == images.pixels);
    }
    SECTION("concatenated gzip members read as one stream") {
        const Bytes whole = label_file({1, 2, 3, 4, 5, 6});
        write_gzip_file(dir.file("a.gz"), Bytes(whole.begin(), whole.begin() + 9));
        write_gzip_file(dir.file("b.gz"), Bytes(whole.begin() + 9, whole.end()));
        Bytes joined = read_file(dir.file("a.gz"));
        const Bytes second = read_file(dir.file("b.gz"));
        joined.insert(joined.end(), second.begin(), second.end());
        write_file(path, joined);
        CHECK(digit::load_idx_labels(path).labels == Bytes{1, 2, 3, 4, 5, 6});
    }
    SECTION("a header that promises more than the decompressed data holds") {
        Bytes bytes = image_file(10, 28, 28);
        bytes.resize(16 + 1200);
        write_gzip_file(path, bytes);
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path +
                  ": truncated: header says 10 images of 28x28 (7840 bytes) but the decompressed data holds "
                  "1200 bytes after its 16-byte header");
    }
    SECTION("an absurd header fails without allocating it") {
        write_gzip_file(path, idx_file(kImageMagic, {0xFFFFFFFF, 28, 28}, {1, 2, 3}));
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path +
                  ": header says 4294967295 images of 28x28 (3367254359280 bytes), more than the 8 GiB this "
                  "loader accepts");
        write_gzip_file(path, idx_file(kImageMagic, {1000000, 28, 28}, {1, 2, 3}));
        CHECK_THAT(
            error_of([&] { digit::load_idx_images(path); }),
            Catch::StartsWith(path + ": truncated: header says 1000000 images of 28x28 (784000000 bytes) "
                                     "but the decompressed data holds 3 bytes"));
    }
    SECTION("decompressed trailing bytes") {
        Bytes bytes = label_file({1, 2});
        bytes.push_back(0);
        write_gzip_file(path, bytes);
        CHECK(error_of([&] { digit::load_idx_labels(path); }) ==
              path + ": trailing garbage: 1 bytes after the 2 labels the header declares");
    }
    SECTION("a cut-off .gz file") {
        write_gzip_file(path, image_file(20, 28, 28));
        Bytes compressed = read_file(path);
        compressed.resize(compressed.size() / 2);
        write_file(path, compressed);
        CHECK(error_of([&] { digit::load_idx_images(path); }) ==
              path + ": truncated gzip data: the compressed stream ends before its end marker");
    }
    SECTION("corrupt compressed data") {
        write_gzip_file(path, image_file(20, 28, 28));
        Bytes compressed = read_file(path);
        for (std::size_t i = 20; i < compressed.size() - 8; i += 3) compressed[i] ^= 0x5A;
        write_file(path, compressed);
        CHECK_THAT(error_of([&] { digit::load_idx_images(path); }),
                   Catch::StartsWith(path + ": corrupt gzip data"));
    }
    SECTION("garbage after the gzip stream") {
        write_gzip_file(path, label_file({3}));
        Bytes compressed = read_file(path);
        compressed.insert(compressed.end(), {'x', 'y'});
        write_file(path, compressed);
        CHECK(error_of([&] { digit::load_idx_labels(path); }) ==
              path + ": trailing bytes after the gzip stream");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Datasets

namespace {
void write_dataset(const TempDir& dir, std::uint32_t train_count, std::uint32_t test_count) {
    Bytes train_labels(train_count), test_labels(test_count);
    for (std::uint32_t i = 0; i < train_count; ++i) train_labels[i] = i % 10;
    for (std::uint32_t i = 0; i < test_count; ++i) test_labels[i] = (i + 3) % 10;
    // Every spelling the loader accepts, in one directory.
    write_file(dir.file("train-images-idx3-ubyte"), image_file(train_count, 28, 28));
    write_gzip_file(dir.file("train-labels-idx1-ubyte.gz"), label_file(train_labels));
    write_file(dir.file("t10k-images.idx3-ubyte"), image_file(test_count, 28, 28));
    write_gzip_file(dir.file("t10k-labels.idx1-ubyte.gz"), label_file(test_labels));
}
}  // namespace

TEST_CASE("load_dataset finds the four files and converts pixels to [0,1]", "[dataset]") {
    TempDir dir;
    write_dataset(dir, 12, 5);
    const digit::Dataset dataset = digit::load_dataset(dir.path().string());
    CHECK(dataset.train.count == 12);
    CHECK(dataset.test.count == 5);
    CHECK(dataset.train.rows == 28);
    CHECK(dataset.train.cols == 28);
    CHECK(dataset.num_classes == 10);
    REQUIRE(dataset.train.pixels.size() == 12 * 784);
    REQUIRE(dataset.test.labels.size() == 5);
    CHECK(dataset.test.labels[0] == 3);
    const Bytes raw = ramp(12 * 784);
    for (std::size_t i = 0; i < raw.size(); ++i) REQUIRE(dataset.train.pixels[i] == raw[i] / 255.0f);
    const auto [low, high] = std::minmax_element(dataset.train.pixels.begin(), dataset.train.pixels.end());
    CHECK(*low == 0.0f);
    CHECK(*high == 1.0f);  // 255 maps to exactly 1
    CHECK(dataset.test.image(2) == dataset.test.pixels.data() + 2 * 784);
}

TEST_CASE("load_dataset accepts prefixed names such as EMNIST's", "[dataset]") {
    TempDir dir;
    write_file(dir.file("emnist-digits-train-images-idx3-ubyte"), image_file(3, 28, 28));
    write_file(dir.file("emnist-digits-train-labels-idx1-ubyte"), label_file({0, 1, 2}));
    write_file(dir.file("emnist-digits-test-images-idx3-ubyte"), image_file(1, 28, 28));
    write_file(dir.file("emnist-digits-test-labels-idx1-ubyte"), label_file({4}));
    // EMNIST calls its test files "test", MNIST "t10k": only t10k is looked for.
    CHECK_THAT(error_of([&] { digit::load_dataset(dir.path().string()); }),
               Catch::StartsWith(dir.file("t10k-images-idx3-ubyte") + ": not found"));
    fs::rename(dir.file("emnist-digits-test-images-idx3-ubyte"),
               dir.file("emnist-digits-t10k-images-idx3-ubyte"));
    fs::rename(dir.file("emnist-digits-test-labels-idx1-ubyte"),
               dir.file("emnist-digits-t10k-labels-idx1-ubyte"));
    const digit::Dataset dataset = digit::load_dataset(dir.path().string());
    CHECK(dataset.train.count == 3);
    CHECK(dataset.test.labels == Bytes{4});
}

TEST_CASE("load_dataset errors", "[dataset]") {
    TempDir dir;
    SECTION("missing directory") {
        const std::string missing = dir.file("nowhere");
        CHECK(error_of([&] { digit::load_dataset(missing); }) == missing + ": not found");
    }
    SECTION("missing file") {
        write_dataset(dir, 4, 2);
        fs::remove(dir.file("t10k-labels.idx1-ubyte.gz"));
        CHECK_THAT(error_of([&] { digit::load_dataset(dir.path().string()); }),
                   Catch::StartsWith(dir.file("t10k-labels-idx1-ubyte") + ": not found"));
    }
    SECTION("train and test image sizes differ") {
        write_dataset(dir, 4, 2);
        write_file(dir.file("t10k-images.idx3-ubyte"), image_file(2, 32, 32));
        CHECK(error_of([&] { digit::load_dataset(dir.path().string()); }) ==
              dir.file("t10k-images.idx3-ubyte") + ": images of 32x32 but the training images (" +
                  dir.file("train-images-idx3-ubyte") + ") are 28x28");
    }
    SECTION("empty training set") {
        write_dataset(dir, 0, 2);
        CHECK(error_of([&] { digit::load_dataset(dir.path().string()); }) ==
              dir.file("train-images-idx3-ubyte") + ": holds no images");
    }
    SECTION("two candidate files") {
        write_dataset(dir, 4, 2);
        fs::rename(dir.file("train-images-idx3-ubyte"), dir.file("a-train-images-idx3-ubyte"));
        write_file(dir.file("b-train-images-idx3-ubyte"), image_file(4, 28, 28));
        CHECK_THAT(error_of([&] { digit::load_dataset(dir.path().string()); }),
                   Catch::Contains("several files could be the train images"));
    }
}

TEST_CASE("select_images picks images and labels by index", "[dataset]") {
    TempDir dir;
    write_dataset(dir, 10, 2);
    const digit::Dataset dataset = digit::load_dataset(dir.path().string());
    const digit::LabelledImages subset = digit::select_images(dataset.train, {7, 2});
    CHECK(subset.count == 2);
    CHECK(subset.labels == Bytes{7, 2});
    CHECK(subset.num_classes == 8);
    CHECK(std::equal(subset.image(0), subset.image(0) + 784, dataset.train.image(7)));
    CHECK_THROWS_AS(digit::select_images(dataset.train, {10}), std::out_of_range);
}

namespace {
const char* const kMnistDir = DIGIT_MNIST_DIR;
const char* const kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
}  // namespace

TEST_CASE("real MNIST loads", "[dataset][mnist]") {
    if (!fs::exists(fs::path(kMnistDir) / "train-images-idx3-ubyte")) {
        WARN("MNIST not found in " << kMnistDir << " (data/fetch-mnist.sh fetches it); skipped");
        return;
    }
    const digit::Dataset mnist = digit::load_dataset(kMnistDir);
    CHECK(mnist.train.count == 60000);
    CHECK(mnist.test.count == 10000);
    CHECK(mnist.train.rows == 28);
    CHECK(mnist.train.cols == 28);
    CHECK(mnist.num_classes == 10);
    CHECK(mnist.train.labels[0] == 5);  // the well-known first digits of each set
    CHECK(mnist.test.labels[0] == 7);
    const double mean = std::accumulate(mnist.train.pixels.begin(), mnist.train.pixels.end(), 0.0) /
                        mnist.train.pixels.size();
    CHECK(mean == Approx(0.1307).margin(1e-4));  // the normalisation constant everybody uses
}

TEST_CASE("Fashion-MNIST loads from .gz files", "[dataset][fashion]") {
    if (!fs::exists(fs::path(kFashionMnistDir) / "train-images-idx3-ubyte.gz")) {
        WARN("Fashion-MNIST not found in " << kFashionMnistDir << " (Debian package dataset-fashion-mnist)");
        return;
    }
    const digit::Dataset fashion = digit::load_dataset(kFashionMnistDir);
    CHECK(fashion.train.count == 60000);
    CHECK(fashion.test.count == 10000);
    CHECK(fashion.num_classes == 10);
}

// ---------------------------------------------------------------------------------------------------------
// Augmentation

namespace {
constexpr int kSide = 28;
constexpr int kPixels = kSide * kSide;

std::vector<float> blank() {
    return std::vector<float>(kPixels, 0.0f);
}

// A digit-like test image: a ring and a bar, with soft edges.
std::vector<float> test_digit() {
    std::vector<float> image = blank();
    for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
            const float ring = std::fabs(std::hypot(x - 12.0f, y - 10.0f) - 5.0f);
            const float bar = (x >= 16 && x <= 17 && y >= 10 && y <= 23) ? 1.0f : 0.0f;
            image[y * kSide + x] = std::max(bar, std::clamp(1.5f - ring, 0.0f, 1.0f));
        }
    }
    return image;
}

struct Centroid {
    double x = 0, y = 0, mass = 0;
};
Centroid centroid(const std::vector<float>& image) {
    Centroid result;
    for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
            const float value = image[y * kSide + x];
            result.x += value * x;
            result.y += value * y;
            result.mass += value;
        }
    }
    result.x /= result.mass;
    result.y /= result.mass;
    return result;
}

std::vector<float> apply_params(const AugmentParams& params, const std::vector<float>& image,
                                const AugmentOptions& options = {}) {
    std::vector<float> out(kPixels, -1.0f);
    Augmenter(options).apply(image.data(), out.data(), kSide, kSide, params);
    return out;
}

float max_difference(const std::vector<float>& a, const std::vector<float>& b) {
    float difference = 0.0f;
    for (std::size_t i = 0; i < a.size(); ++i) difference = std::max(difference, std::fabs(a[i] - b[i]));
    return difference;
}
}  // namespace

TEST_CASE("augmentation with every range 0 is the identity", "[augment]") {
    AugmentOptions none;
    none.max_rotation_degrees = 0;
    none.max_zoom = 0;
    none.max_shift_pixels = 0;
    const Augmenter augmenter(none);
    const std::vector<float> image = test_digit();
    std::vector<float> out(kPixels);
    std::mt19937 rng(1);
    for (int i = 0; i < 10; ++i) {
        augmenter.augment(image.data(), out.data(), kSide, kSide, rng);
        REQUIRE(out == image);
    }
}

TEST_CASE("augmentation keeps size, range and is deterministic for a seed", "[augment]") {
    AugmentOptions options;
    options.thickness_probability = 0.5f;
    options.elastic_alpha = 34.0f;
    const Augmenter augmenter(options);
    const std::vector<float> image = test_digit();

    constexpr int kBatch = 64;
    std::vector<float> batch;
    for (int i = 0; i < kBatch; ++i) batch.insert(batch.end(), image.begin(), image.end());
    // A sentinel after the batch shows that nothing is written past count × rows × cols.
    std::vector<float> first(kBatch * kPixels + 1, -7.0f), again = first, other_seed = first;
    augmenter.augment_batch(batch.data(), first.data(), kBatch, kSide, kSide, 42);
    augmenter.augment_batch(batch.data(), again.data(), kBatch, kSide, kSide, 42);
    augmenter.augment_batch(batch.data(), other_seed.data(), kBatch, kSide, kSide, 43);
    CHECK(first.back() == -7.0f);
    CHECK(first == again);
    CHECK(first != other_seed);
    for (int i = 0; i < kBatch * kPixels; ++i) REQUIRE((first[i] >= 0.0f && first[i] <= 1.0f));
    // Different images of one batch get different transforms.
    CHECK(!std::equal(first.begin(), first.begin() + kPixels, first.begin() + kPixels));

    // Same with a std::mt19937 supplied by the caller.
    std::vector<float> out_a(kPixels), out_b(kPixels);
    std::mt19937 rng_a(7), rng_b(7);
    augmenter.augment(image.data(), out_a.data(), kSide, kSide, rng_a);
    augmenter.augment(image.data(), out_b.data(), kSide, kSide, rng_b);
    CHECK(out_a == out_b);
}

TEST_CASE("augment_batch gives the same images however threads split it", "[augment]") {
    const Augmenter augmenter;
    const std::vector<float> image = test_digit();
    constexpr std::size_t kBatch = 100;
    std::vector<float> batch;
    for (std::size_t i = 0; i < kBatch; ++i) batch.insert(batch.end(), image.begin(), image.end());

    std::vector<float> single(kBatch * kPixels), split(kBatch * kPixels);
    augmenter.augment_batch(batch.data(), single.data(), kBatch, kSide, kSide, 5);
    const std::size_t boundaries[] = {0, 13, 64, kBatch};
    std::vector<std::thread> threads;
    for (int part = 0; part < 3; ++part) {
        threads.emplace_back([&, part] {
            const std::size_t begin = boundaries[part], count = boundaries[part + 1] - begin;
            augmenter.augment_batch(batch.data() + begin * kPixels, split.data() + begin * kPixels, count,
                                    kSide, kSide, 5, begin);
        });
    }
    for (std::thread& thread : threads) thread.join();
    CHECK(single == split);
}

TEST_CASE("augmentation works in place", "[augment]") {
    const Augmenter augmenter;
    std::vector<float> image = test_digit(), separate(kPixels);
    digit::Pcg32 rng_a(3), rng_b(3);
    augmenter.augment(image.data(), separate.data(), kSide, kSide, rng_a);
    augmenter.augment(image.data(), image.data(), kSide, kSide, rng_b);
    CHECK(image == separate);
}

TEST_CASE("drawn transforms stay within the option ranges and use them", "[augment]") {
    AugmentOptions options;
    options.thickness_probability = 0.25f;
    const Augmenter augmenter(options);
    digit::Pcg32 rng(11);
    float max_rotation = 0, max_zoom = 0, max_shift = 0;
    int thicker = 0, thinner = 0;
    constexpr int kDraws = 4000;
    for (int i = 0; i < kDraws; ++i) {
        const AugmentParams params = augmenter.draw(rng);
        REQUIRE(std::fabs(params.rotation_degrees) <= 15.0f);
        REQUIRE(std::fabs(params.scale - 1.0f) <= 0.1f);
        REQUIRE(std::fabs(params.shift_x) <= 2.5f);
        REQUIRE(std::fabs(params.shift_y) <= 2.5f);
        max_rotation = std::max(max_rotation, std::fabs(params.rotation_degrees));
        max_zoom = std::max(max_zoom, std::fabs(params.scale - 1.0f));
        max_shift = std::max(max_shift, std::fabs(params.shift_x));
        thicker += params.thickness_change > 0;
        thinner += params.thickness_change < 0;
    }
    CHECK(max_rotation > 14.5f);
    CHECK(max_zoom > 0.095f);
    CHECK(max_shift > 2.4f);
    CHECK(thicker == Approx(kDraws * 0.125).epsilon(0.2));
    CHECK(thinner == Approx(kDraws * 0.125).epsilon(0.2));
}

TEST_CASE("rotation by 90 degrees moves a pixel where expected", "[augment]") {
    // Counter-clockwise as displayed, about the centre (13.5, 13.5): (x, y) = (20, 5), up and right of the
    // centre, goes up and left to (5, 7).
    std::vector<float> image = blank();
    image[5 * kSide + 20] = 1.0f;
    AugmentParams params;
    params.rotation_degrees = 90.0f;
    const std::vector<float> out = apply_params(params, image);
    CHECK(out[7 * kSide + 5] == Approx(1.0f).margin(1e-4));
    CHECK(std::accumulate(out.begin(), out.end(), 0.0f) == Approx(1.0f).margin(1e-4));
}

TEST_CASE("rotation by 30 degrees turns the centroid about the image centre", "[augment]") {
    const std::vector<float> image = test_digit();
    const Centroid before = centroid(image);
    AugmentParams params;
    params.rotation_degrees = 30.0f;
    const Centroid after = centroid(apply_params(params, image));
    const double radians = 30.0 * M_PI / 180.0, dx = before.x - 13.5, dy = before.y - 13.5;
    CHECK(after.x == Approx(13.5 + std::cos(radians) * dx + std::sin(radians) * dy).margin(0.1));
    CHECK(after.y == Approx(13.5 - std::sin(radians) * dx + std::cos(radians) * dy).margin(0.1));
    CHECK(after.mass == Approx(before.mass).epsilon(0.02));
}

TEST_CASE("shift and zoom move and scale about the centre", "[augment]") {
    const std::vector<float> image = test_digit();
    const Centroid before = centroid(image);

    AugmentParams shift;
    shift.shift_x = 2.0f;
    shift.shift_y = -1.0f;
    const std::vector<float> shifted = apply_params(shift, image);
    for (int y = 1; y < kSide; ++y) {
        for (int x = 0; x < kSide - 2; ++x) REQUIRE(shifted[(y - 1) * kSide + x + 2] == image[y * kSide + x]);
    }

    // A pixel 2.5 right of and 1.5 above the centre, doubled in size: a blob centred 5 right and 3 above.
    std::vector<float> dot = blank();
    dot[12 * kSide + 16] = 1.0f;
    AugmentParams double_size;
    double_size.scale = 2.0f;
    const Centroid blob = centroid(apply_params(double_size, dot));
    CHECK(blob.x == Approx(18.5).margin(1e-4));
    CHECK(blob.y == Approx(10.5).margin(1e-4));
    CHECK(blob.mass == Approx(4.0).margin(1e-4));

    AugmentParams zoom;
    zoom.scale = 1.2f;
    const Centroid zoomed = centroid(apply_params(zoom, image));
    CHECK(zoomed.x - 13.5 == Approx(1.2 * (before.x - 13.5)).margin(0.1));  // up to sampling error
    CHECK(zoomed.y - 13.5 == Approx(1.2 * (before.y - 13.5)).margin(0.1));
    CHECK(zoomed.mass == Approx(1.44 * before.mass).epsilon(0.03));
}

TEST_CASE("stroke thickness change dilates or erodes", "[augment]") {
    std::vector<float> dot = blank();
    dot[10 * kSide + 10] = 0.8f;
    AugmentParams dilate;
    dilate.thickness_change = 1;
    const std::vector<float> thick = apply_params(dilate, dot);
    for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
            const bool inside = std::abs(y - 10) <= 1 && std::abs(x - 10) <= 1;
            REQUIRE(thick[y * kSide + x] == (inside ? 0.8f : 0.0f));
        }
    }
    AugmentParams erode;
    erode.thickness_change = -1;
    CHECK(apply_params(erode, thick) == dot);

    const std::vector<float> digit_image = test_digit();
    const double mass = centroid(digit_image).mass;
    CHECK(centroid(apply_params(dilate, digit_image)).mass > 1.5 * mass);
    CHECK(centroid(apply_params(erode, digit_image)).mass < 0.7 * mass);
}

TEST_CASE("elastic distortion moves pixels a little, deterministically", "[augment]") {
    AugmentOptions options;
    options.max_rotation_degrees = 0;
    options.max_zoom = 0;
    options.max_shift_pixels = 0;
    options.elastic_alpha = 34.0f;
    options.elastic_sigma = 4.0f;
    const std::vector<float> image = test_digit();
    AugmentParams params;
    params.elastic_seed = 99;
    const std::vector<float> distorted = apply_params(params, image, options);
    CHECK(distorted == apply_params(params, image, options));
    CHECK(max_difference(distorted, image) > 0.2f);
    // Smooth displacements of a pixel or two: the digit stays where it was and keeps most of its ink.
    const Centroid before = centroid(image), after = centroid(distorted);
    CHECK(std::hypot(after.x - before.x, after.y - before.y) < 1.5);
    CHECK(after.mass == Approx(before.mass).epsilon(0.25));
    params.elastic_seed = 100;
    CHECK(apply_params(params, image, options) != distorted);
}

TEST_CASE("augmentation rejects bad options and sizes", "[augment]") {
    AugmentOptions options;
    options.max_zoom = 1.5f;
    CHECK_THROWS_AS(Augmenter(options), std::invalid_argument);
    options = {};
    options.thickness_probability = 2.0f;
    CHECK_THROWS_AS(Augmenter(options), std::invalid_argument);
    float pixel = 0.0f;
    CHECK_THROWS_AS(Augmenter().apply(&pixel, &pixel, 0, 28, AugmentParams{}), std::invalid_argument);
}

TEST_CASE("augmentation speed (printed, not asserted)", "[augment][speed]") {
    const std::vector<float> image = test_digit();
    constexpr std::size_t kBatch = 256;
    std::vector<float> batch, out(kBatch * kPixels);
    for (std::size_t i = 0; i < kBatch; ++i) batch.insert(batch.end(), image.begin(), image.end());

    const auto measure = [&](const char* name, const AugmentOptions& options) {
        const Augmenter augmenter(options);
        std::size_t images = 0;
        const auto start = std::chrono::steady_clock::now();
        double seconds = 0.0;
        for (std::uint64_t round = 0; seconds < 0.3; ++round) {
            augmenter.augment_batch(batch.data(), out.data(), kBatch, kSide, kSide, round);
            images += kBatch;
            seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        }
        WARN(name << ": " << static_cast<long>(images / seconds) << " images/s single-threaded ("
                  << 1e6 * seconds / images << " us per 28x28 image)");
    };
    AugmentOptions affine;
    measure("affine (rotation, zoom, shift)", affine);
    AugmentOptions thickness = affine;
    thickness.thickness_probability = 1.0f;
    measure("affine + thickness change", thickness);
    AugmentOptions elastic = affine;
    elastic.elastic_alpha = 34.0f;
    measure("affine + elastic", elastic);
}

// ---------------------------------------------------------------------------------------------------------
// Progress bar

TEST_CASE("progress bar prints one line per 10% into a log", "[progress]") {
    std::FILE* log = std::tmpfile();
    REQUIRE(log != nullptr);
    {
        digit::ProgressBar bar("epoch 1/3", 50, log, digit::ProgressBar::Style::lines);
        for (std::size_t batch = 1; batch <= 50; ++batch) bar.update(batch, 0.25, batch * 128);
    }
    std::rewind(log);
    std::vector<std::string> lines;
    char buffer[1024];
    while (std::fgets(buffer, sizeof buffer, log)) lines.emplace_back(buffer);
    std::fclose(log);
    REQUIRE(lines.size() == 10);
    CHECK_THAT(lines[0], Catch::StartsWith("epoch 1/3 [===>") && Catch::Contains("] 5/50  loss 0.2500") &&
                             Catch::Contains("img/s  ETA "));
    CHECK_THAT(lines[9],
               Catch::Contains("[==============================] 50/50") && Catch::Contains(" in 0:00"));
}

TEST_CASE("progress bar redraws in place on a terminal", "[progress]") {
    std::FILE* terminal = std::tmpfile();
    REQUIRE(terminal != nullptr);
    {
        digit::ProgressBar bar("eval", 3, terminal, digit::ProgressBar::Style::redraw);
        for (std::size_t batch = 1; batch <= 3; ++batch) bar.update(batch, 1.5, batch);
    }
    std::rewind(terminal);
    std::string text;
    for (int c; (c = std::fgetc(terminal)) != EOF;) text += static_cast<char>(c);
    std::fclose(terminal);
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    CHECK(text.back() == '\n');
    CHECK_THAT(text, Catch::StartsWith("\reval [") && Catch::Contains("3/3  loss 1.5000"));
}

TEST_CASE("durations read as m:ss or h:mm:ss", "[progress]") {
    CHECK(digit::ProgressBar::format_duration(0) == "0:00");
    CHECK(digit::ProgressBar::format_duration(42.4) == "0:42");
    CHECK(digit::ProgressBar::format_duration(3723) == "1:02:03");
    CHECK(digit::ProgressBar::format_duration(std::nan("")) == "0:00");
}
