#include "dataset.hpp"

#include <zlib.h>

#include <sys/stat.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

namespace digit {
namespace {

// Large enough for any IDX set in use (EMNIST ByClass is 0.55 GB), small enough that a header cannot make
// a .gz reader grow its buffer without bound before the data runs out.
constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t{8} << 30;
// Side lengths beyond this are not images anyone trains on; rejecting them early gives a clearer message.
constexpr std::uint32_t kMaxImageSide = 1u << 16;
constexpr std::uint8_t kIdxTypeUnsignedByte = 0x08;
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

[[noreturn]] void fail(const std::string& name, const std::string& problem) {
    throw std::runtime_error(name + ": " + problem);
}

std::string hex(std::uint32_t value, int digits) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%0*X", digits, value);
    return text;
}

std::string idx_type_name(std::uint8_t type) {
    switch (type) {
        case 0x08:
            return "unsigned byte";
        case 0x09:
            return "signed byte";
        case 0x0B:
            return "int16";
        case 0x0C:
            return "int32";
        case 0x0D:
            return "float32";
        case 0x0E:
            return "float64";
        default:
            return "unknown type";
    }
}

// A forward-only stream of bytes: a file, a memory buffer, or the inflated content of either.
class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // Reads up to `size` bytes; returns fewer only at the end of the data.
    virtual std::size_t read(std::uint8_t* destination, std::size_t size) = 0;
    // The exact number of bytes left, when it is known without reading them (raw files and buffers).
    virtual std::optional<std::uint64_t> remaining() const = 0;
    // Returns up to two bytes without consuming them, to tell gzip data (1f 8b) from raw IDX.
    virtual std::size_t peek2(std::uint8_t* destination) = 0;
    // How messages refer to what this source holds: "the file" or "the decompressed data".
    virtual const char* holder() const = 0;
};

class MemorySource final : public ByteSource {
  public:
    MemorySource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::size_t read(std::uint8_t* destination, std::size_t size) override {
        const std::size_t count = std::min(size, size_ - position_);
        if (count > 0) std::memcpy(destination, data_ + position_, count);
        position_ += count;
        return count;
    }
    std::optional<std::uint64_t> remaining() const override { return size_ - position_; }
    std::size_t peek2(std::uint8_t* destination) override {
        const std::size_t count = std::min<std::size_t>(2, size_ - position_);
        if (count > 0) std::memcpy(destination, data_ + position_, count);
        return count;
    }
    const char* holder() const override { return "the file"; }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t position_ = 0;
};

class FileSource final : public ByteSource {
  public:
    explicit FileSource(const std::string& path) : path_(path) {
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) fail(path, "not found");
            fail(path, std::string("cannot open: ") + std::strerror(errno));
        }
        if (S_ISDIR(status.st_mode)) fail(path, "is a directory, not an IDX file");
        file_.reset(std::fopen(path.c_str(), "rb"));
        if (!file_) fail(path, std::string("cannot open: ") + std::strerror(errno));
        // Only a regular file's size is meaningful; pipes and devices are read as streams.
        if (S_ISREG(status.st_mode)) size_ = static_cast<std::uint64_t>(status.st_size);
    }

    std::size_t read(std::uint8_t* destination, std::size_t size) override {
        std::size_t count = 0;
        while (count < size && lookahead_position_ < lookahead_size_) {
            destination[count++] = lookahead_[lookahead_position_++];
        }
        if (count < size) count += read_file(destination + count, size - count);
        consumed_ += count;
        return count;
    }
    std::optional<std::uint64_t> remaining() const override {
        if (!size_) return std::nullopt;
        return *size_ >= consumed_ ? *size_ - consumed_ : 0;
    }
    std::size_t peek2(std::uint8_t* destination) override {
        while (lookahead_size_ < 2) {
            const std::size_t count = read_file(lookahead_.data() + lookahead_size_, 2 - lookahead_size_);
            if (count == 0) break;
            lookahead_size_ += count;
        }
        const std::size_t available = lookahead_size_ - lookahead_position_;
        std::memcpy(destination, lookahead_.data() + lookahead_position_, available);
        return available;
    }
    const char* holder() const override { return "the file"; }

  private:
    std::size_t read_file(std::uint8_t* destination, std::size_t size) {
        const std::size_t count = std::fread(destination, 1, size, file_.get());
        if (count < size && std::ferror(file_.get()))
            fail(path_, std::string("read error: ") + std::strerror(errno));
        return count;
    }

    struct FileCloser {
        void operator()(std::FILE* file) const { std::fclose(file); }
    };
    std::string path_;
    std::unique_ptr<std::FILE, FileCloser> file_;
    std::optional<std::uint64_t> size_;
    std::uint64_t consumed_ = 0;
    // peek2 is only called before the first read, so a two-byte lookahead suffices.
    std::array<std::uint8_t, 2> lookahead_{};
    std::size_t lookahead_size_ = 0;
    std::size_t lookahead_position_ = 0;
};

// Inflates gzip data read from another source, in bounded chunks, so that memory grows only with the data
// actually present. Concatenated gzip members are read as one stream (as gzip -d does); anything else after
// the last member is an error, as trailing garbage is for raw files.
class GzipSource final : public ByteSource {
  public:
    GzipSource(ByteSource& compressed, std::string name)
        : compressed_(compressed), name_(std::move(name)), input_(kInputBytes) {
        // 16 + MAX_WBITS: expect a gzip header and trailer (and check its CRC), not a bare zlib stream.
        if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) fail(name_, "cannot initialise zlib");
    }
    ~GzipSource() override { inflateEnd(&stream_); }
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;

    std::size_t read(std::uint8_t* destination, std::size_t size) override {
        std::size_t produced = 0;
        while (produced < size && !finished_) {
            if (member_ended_) {
                start_next_member_or_finish();
                continue;
            }
            if (stream_.avail_in == 0 && !refill()) {
                fail(name_, "truncated gzip data: the compressed stream ends before its end marker");
            }
            const std::size_t want = std::min<std::size_t>(size - produced, 1u << 30);
            const uInt input_before = stream_.avail_in;
            stream_.next_out = destination + produced;
            stream_.avail_out = static_cast<uInt>(want);
            const int status = inflate(&stream_, Z_NO_FLUSH);
            produced += want - stream_.avail_out;
            const bool stalled = stream_.avail_in == input_before && stream_.avail_out == want;
            if (status == Z_STREAM_END) {
                member_ended_ = true;
            } else if (status == Z_MEM_ERROR) {
                throw std::bad_alloc();
            } else if ((status != Z_OK && status != Z_BUF_ERROR) || (stalled && stream_.avail_in > 0)) {
                fail(name_,
                     std::string("corrupt gzip data: ") + (stream_.msg ? stream_.msg : "inflate failed"));
            }
        }
        return produced;
    }
    std::optional<std::uint64_t> remaining() const override { return std::nullopt; }
    std::size_t peek2(std::uint8_t*) override { return 0; }  // never asked: gzip inside gzip is not IDX
    const char* holder() const override { return "the decompressed data"; }

  private:
    static constexpr std::size_t kInputBytes = 64 * 1024;

    bool refill() {
        const std::size_t count = compressed_.read(input_.data(), input_.size());
        stream_.next_in = input_.data();
        stream_.avail_in = static_cast<uInt>(count);
        return count > 0;
    }

    void start_next_member_or_finish() {
        member_ended_ = false;
        if (stream_.avail_in == 0 && !refill()) {
            finished_ = true;
            return;
        }
        if (stream_.next_in[0] != 0x1f) {
            fail(name_, "trailing bytes after the gzip stream");
        }
        if (inflateReset(&stream_) != Z_OK) fail(name_, "cannot reset zlib");
    }

    ByteSource& compressed_;
    std::string name_;
    std::vector<std::uint8_t> input_;
    z_stream stream_{};
    bool member_ended_ = false;
    bool finished_ = false;
};

bool starts_with_gzip_magic(ByteSource& source) {
    std::uint8_t head[2];
    return source.peek2(head) == 2 && head[0] == 0x1f && head[1] == 0x8b;
}

std::uint32_t read_big_endian_u32(const std::uint8_t* bytes) {
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
           (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

// Reads the magic and the dimension sizes of an IDX file of unsigned bytes with `dimension_count` dims.
std::vector<std::uint32_t> read_idx_header(ByteSource& source, const std::string& name, int dimension_count,
                                           const char* kind) {
    const std::size_t header_bytes = 4 + 4 * static_cast<std::size_t>(dimension_count);
    std::array<std::uint8_t, 4 + 4 * 3> header{};
    const std::size_t magic_got = source.read(header.data(), 4);
    if (magic_got == 0) fail(name, std::string("empty, not an IDX ") + kind + " file");
    if (magic_got < 4) {
        fail(name, "truncated: " + std::to_string(magic_got) + " bytes, shorter than an IDX magic number");
    }
    const std::uint32_t magic = read_big_endian_u32(header.data());
    const std::uint32_t expected_magic = (std::uint32_t{kIdxTypeUnsignedByte} << 8) | dimension_count;
    if (magic != expected_magic) {
        const auto type = static_cast<std::uint8_t>(magic >> 8);
        const bool idx_with_other_type =
            (magic >> 16) == 0 && (magic & 0xFF) == std::uint32_t(dimension_count);
        if (idx_with_other_type) {
            fail(name, "unsupported IDX element type " + hex(type, 2) + " (" + idx_type_name(type) +
                           ") in magic " + hex(magic, 8) + "; only 0x08 (unsigned byte) is supported");
        }
        const char* article = kind[0] == 'i' ? "an " : "a ";
        std::string problem = "wrong magic " + hex(magic, 8) + " (expected " + hex(expected_magic, 8) +
                              " for " + article + kind + " file)";
        if (magic == 0x00000801) problem += "; this looks like a label file";
        if (magic == 0x00000803) problem += "; this looks like an image file";
        fail(name, problem);
    }
    const std::size_t dims_got = source.read(header.data() + 4, header_bytes - 4);
    if (dims_got < header_bytes - 4) {
        fail(name, "truncated: the header ends after " + std::to_string(4 + dims_got) + " bytes (an IDX " +
                       kind + " header is " + std::to_string(header_bytes) + " bytes)");
    }
    std::vector<std::uint32_t> dims(dimension_count);
    for (int d = 0; d < dimension_count; ++d) dims[d] = read_big_endian_u32(header.data() + 4 + 4 * d);
    return dims;
}

// Reads exactly `payload_bytes` after the header, then insists the data ends there. `declared` describes
// what the header promised, e.g. "60000 images of 28x28".
std::vector<std::uint8_t> read_idx_payload(ByteSource& source, const std::string& name, std::uint64_t payload,
                                           std::size_t header_bytes, const std::string& declared) {
    const auto truncated = [&](std::uint64_t actual) {
        fail(name, "truncated: header says " + declared + " (" + std::to_string(payload) + " bytes) but " +
                       source.holder() + " holds " + std::to_string(actual) + " bytes after its " +
                       std::to_string(header_bytes) + "-byte header");
    };
    const auto trailing = [&](std::uint64_t extra, bool at_least) {
        fail(name, "trailing garbage: " + std::string(at_least ? "over " : "") + std::to_string(extra) +
                       " bytes after the " + declared + " the header declares");
    };

    // With the size known, compare before allocating anything: the header cannot make us allocate more than
    // the file holds.
    if (const auto remaining = source.remaining()) {
        if (payload > *remaining) truncated(*remaining);
        if (payload < *remaining) trailing(*remaining - payload, false);
    }
    if (payload > kMaxPayloadBytes) {
        fail(name, "header says " + declared + " (" + std::to_string(payload) +
                       " bytes), more than the 8 GiB this loader accepts");
    }

    const auto payload_bytes = static_cast<std::size_t>(payload);
    std::vector<std::uint8_t> data;
    if (source.remaining()) {
        data.resize(payload_bytes);
        const std::size_t got = source.read(data.data(), payload_bytes);
        if (got < payload_bytes) truncated(got);  // the file shrank while we read it
    } else {
        // Unknown size (gzip, pipes): grow with the data that actually arrives.
        std::size_t filled = 0;
        while (filled < payload_bytes) {
            const std::size_t want = std::min(kChunkBytes, payload_bytes - filled);
            data.resize(filled + want);
            const std::size_t got = source.read(data.data() + filled, want);
            filled += got;
            if (got < want) truncated(filled);
        }
    }

    std::array<std::uint8_t, 4096> extra;
    std::uint64_t extra_bytes = 0;
    while (std::size_t got = source.read(extra.data(), extra.size())) {
        extra_bytes += got;
        if (extra_bytes >= kChunkBytes) trailing(extra_bytes, true);  // no need to read it all to complain
    }
    if (extra_bytes > 0) trailing(extra_bytes, false);
    return data;
}

IdxImages parse_images(ByteSource& raw_source, const std::string& name) {
    std::optional<GzipSource> gzip;
    if (starts_with_gzip_magic(raw_source)) gzip.emplace(raw_source, name);
    ByteSource& source = gzip ? static_cast<ByteSource&>(*gzip) : raw_source;

    const std::vector<std::uint32_t> dims = read_idx_header(source, name, 3, "image");
    const std::uint32_t count = dims[0], rows = dims[1], cols = dims[2];
    if (rows == 0 || cols == 0 || rows > kMaxImageSide || cols > kMaxImageSide) {
        fail(name, "header says images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                       " pixels; each side must be 1.." + std::to_string(kMaxImageSide));
    }
    const std::string declared =
        std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols);
    // Cannot overflow: count < 2^32 and rows × cols <= 2^32.
    const std::uint64_t payload = std::uint64_t{count} * rows * cols;

    IdxImages images;
    images.pixels = read_idx_payload(source, name, payload, 16, declared);
    images.count = count;
    images.rows = static_cast<int>(rows);
    images.cols = static_cast<int>(cols);
    return images;
}

IdxLabels parse_labels(ByteSource& raw_source, const std::string& name) {
    std::optional<GzipSource> gzip;
    if (starts_with_gzip_magic(raw_source)) gzip.emplace(raw_source, name);
    ByteSource& source = gzip ? static_cast<ByteSource&>(*gzip) : raw_source;

    const std::uint32_t count = read_idx_header(source, name, 1, "label")[0];
    IdxLabels labels;
    labels.labels = read_idx_payload(source, name, count, 8, std::to_string(count) + " labels");
    labels.count = count;
    if (!labels.labels.empty()) {
        labels.num_classes = 1 + *std::max_element(labels.labels.begin(), labels.labels.end());
    }
    return labels;
}

namespace fs = std::filesystem;

// The file in `dir` for one of the four parts of a dataset, e.g. prefix "train", part "images", "idx3".
std::string find_idx_file(const fs::path& dir, const std::string& prefix, const std::string& part,
                          const std::string& idx_kind) {
    const std::string canonical = prefix + "-" + part + "-" + idx_kind + "-ubyte";
    const std::vector<std::string> candidates = {canonical, canonical + ".gz",
                                                 prefix + "-" + part + "." + idx_kind + "-ubyte",
                                                 prefix + "-" + part + "." + idx_kind + "-ubyte.gz"};
    std::error_code error;
    for (const std::string& candidate : candidates) {
        if (fs::is_regular_file(dir / candidate, error)) return (dir / candidate).string();
    }
    // Sets such as EMNIST prefix the canonical names ("emnist-digits-train-images-idx3-ubyte").
    for (const std::string& candidate : candidates) {
        std::vector<std::string> matches;
        for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
            const std::string file_name = entry.path().filename().string();
            if (entry.is_regular_file(error) && file_name.size() > candidate.size() &&
                file_name.compare(file_name.size() - candidate.size(), candidate.size(), candidate) == 0) {
                matches.push_back(entry.path().string());
            }
        }
        if (matches.size() == 1) return matches[0];
        if (matches.size() > 1) {
            std::sort(matches.begin(), matches.end());
            std::string listed;
            for (const std::string& match : matches) listed += (listed.empty() ? "" : ", ") + match;
            fail(dir.string(), "several files could be the " + prefix + " " + part + " (" + listed +
                                   "); use a directory that holds one dataset");
        }
    }
    fail((dir / canonical).string(),
         "not found (nor " + canonical + ".gz, nor " + candidates[2] + "[.gz], nor *-" + canonical + ")");
}

const std::array<float, 256>& byte_to_unit_float() {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> values{};
        // Division, not multiplication by 1/255, so that 255 maps to exactly 1.0f.
        for (int v = 0; v < 256; ++v) values[v] = static_cast<float>(v) / 255.0f;
        return values;
    }();
    return table;
}

}  // namespace

IdxImages parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& name) {
    MemorySource source(data, size);
    return parse_images(source, name);
}

IdxLabels parse_idx_labels(const std::uint8_t* data, std::size_t size, const std::string& name) {
    MemorySource source(data, size);
    return parse_labels(source, name);
}

IdxImages load_idx_images(const std::string& path) {
    FileSource source(path);
    return parse_images(source, path);
}

IdxLabels load_idx_labels(const std::string& path) {
    FileSource source(path);
    return parse_labels(source, path);
}

LabelledImages load_labelled_images(const std::string& images_path, const std::string& labels_path) {
    IdxImages images = load_idx_images(images_path);
    IdxLabels labels = load_idx_labels(labels_path);
    if (images.count != labels.count) {
        fail(images_path, std::to_string(images.count) + " images but " + std::to_string(labels.count) +
                              " labels in " + labels_path);
    }
    LabelledImages set;
    set.count = images.count;
    set.rows = images.rows;
    set.cols = images.cols;
    set.num_classes = labels.num_classes;
    const auto& to_float = byte_to_unit_float();
    set.pixels.resize(images.pixels.size());
    std::transform(images.pixels.begin(), images.pixels.end(), set.pixels.begin(),
                   [&](std::uint8_t value) { return to_float[value]; });
    set.labels = std::move(labels.labels);
    set.images_path = images_path;
    set.labels_path = labels_path;
    return set;
}

Dataset load_dataset(const std::string& dir) {
    std::error_code error;
    if (!fs::exists(dir, error)) fail(dir, "not found");
    if (!fs::is_directory(dir, error)) fail(dir, "not a directory (expected a folder of IDX files)");

    // One after the other, so that the first missing file is the one reported.
    const std::string train_images = find_idx_file(dir, "train", "images", "idx3");
    const std::string train_labels = find_idx_file(dir, "train", "labels", "idx1");
    const std::string test_images = find_idx_file(dir, "t10k", "images", "idx3");
    const std::string test_labels = find_idx_file(dir, "t10k", "labels", "idx1");
    Dataset dataset;
    dataset.train = load_labelled_images(train_images, train_labels);
    dataset.test = load_labelled_images(test_images, test_labels);
    for (const LabelledImages* set : {&dataset.train, &dataset.test}) {
        if (set->count == 0) fail(set->images_path, "holds no images");
    }
    if (dataset.test.rows != dataset.train.rows || dataset.test.cols != dataset.train.cols) {
        fail(dataset.test.images_path,
             "images of " + std::to_string(dataset.test.rows) + "x" + std::to_string(dataset.test.cols) +
                 " but the training images (" + dataset.train.images_path + ") are " +
                 std::to_string(dataset.train.rows) + "x" + std::to_string(dataset.train.cols));
    }
    dataset.num_classes = std::max(dataset.train.num_classes, dataset.test.num_classes);
    return dataset;
}

LabelledImages select_images(const LabelledImages& source, const std::vector<std::size_t>& indices) {
    LabelledImages selected;
    selected.count = indices.size();
    selected.rows = source.rows;
    selected.cols = source.cols;
    selected.images_path = source.images_path;
    selected.labels_path = source.labels_path;
    const std::size_t image_size = source.pixels_per_image();
    selected.pixels.resize(indices.size() * image_size);
    selected.labels.resize(indices.size());
    for (std::size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] >= source.count) {
            throw std::out_of_range("select_images: index " + std::to_string(indices[i]) +
                                    " but the set holds " + std::to_string(source.count) + " images");
        }
        std::copy_n(source.image(indices[i]), image_size, selected.pixels.data() + i * image_size);
        selected.labels[i] = source.labels[indices[i]];
        selected.num_classes = std::max(selected.num_classes, selected.labels[i] + 1);
    }
    return selected;
}

}  // namespace digit
