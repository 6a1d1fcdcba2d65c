// The model file: a versioned binary format holding the layer list with hyperparameters, the weights, the
// BatchNorm statistics, free-form metadata, optional extra named tensors (optimizer state in checkpoints) and
// a CRC-32 of everything. All integers and floats little-endian.
//
//   offset 0   "CNNMODEL"                 8 bytes magic
//          8   u32 format version         (kFormatVersion)
//         12   u64 payload length P
//         20   payload (P bytes):
//                u32 c, h, w                                   input shape
//                u32 count, then count × (str key, str value)  metadata
//                u32 count, then count × layer:                layers
//                    str type, u32 count × (str key, f64 value), u32 count × tensor
//                u32 count × tensor                             extra tensors
//              tensor = str name, 4 × u32 dims, dims-product × f32;  str = u32 length + bytes
//     20 + P   u32 CRC-32 (IEEE) of the payload
//
// Loading never trusts the file: a missing, truncated, wrong-magic, newer-version, corrupted (checksum) or
// malformed file throws ModelFileError saying which, before any weight reaches a network.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#endif

#include "layers.hpp"
#include "registry.hpp"
#include "sequential.hpp"

namespace cnn {

constexpr char kModelMagic[8] = {'C', 'N', 'N', 'M', 'O', 'D', 'E', 'L'};
constexpr uint32_t kFormatVersion = 1;

class ModelFileError : public std::runtime_error {
  public:
    enum class Kind { NotFound, Truncated, WrongMagic, NewerVersion, Corrupted, Malformed, WriteFailed };
    ModelFileError(Kind kind, const std::string& path, const std::string& problem)
        : std::runtime_error(path + ": " + problem), kind_(kind) {}
    Kind kind() const { return kind_; }

  private:
    Kind kind_;
};

inline uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

namespace detail {

class Writer {
  public:
    void u32(uint32_t v) { raw(&v, 4); }
    void u64(uint64_t v) { raw(&v, 8); }
    void f64(double v) { raw(&v, 8); }
    void str(const std::string& s) {
        u32(uint32_t(s.size()));
        raw(s.data(), s.size());
    }
    void tensor(const std::string& name, const Tensor& t) {
        str(name);
        for (int d : t.dims()) u32(uint32_t(d));
        raw(t.data(), t.size() * sizeof(float));
    }
    void raw(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + n);
    }
    std::vector<uint8_t> bytes;
};

class Reader {
  public:
    Reader(const uint8_t* data, size_t size, const std::string& path)
        : p_(data), end_(data + size), path_(path) {}
    uint32_t u32() { return get<uint32_t>(); }
    uint64_t u64() { return get<uint64_t>(); }
    double f64() { return get<double>(); }
    std::string str() {
        uint32_t n = u32();
        need(n, "a string");
        std::string s(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return s;
    }
    void tensor_into(Tensor& t, const std::string& what) {
        std::array<uint32_t, 4> d{};
        for (auto& x : d) x = u32();
        for (int i = 0; i < 4; ++i)
            if (int(d[i]) != t.dims()[i])
                fail("tensor '" + what + "' has shape (" + std::to_string(d[0]) + ", " +
                     std::to_string(d[1]) + ", " + std::to_string(d[2]) + ", " + std::to_string(d[3]) +
                     "), the layer expects " + t.shape_str());
        need(t.size() * sizeof(float), "tensor '" + what + "'");
        std::memcpy(t.data(), p_, t.size() * sizeof(float));
        p_ += t.size() * sizeof(float);
    }
    Tensor tensor_any(std::string& name) {
        name = str();
        std::array<uint32_t, 4> d{};
        for (auto& x : d) x = u32();
        uint64_t count = uint64_t(d[0]) * d[1] * d[2] * d[3];
        for (auto x : d)
            if (x > (1u << 30)) fail("tensor '" + name + "' has an absurd dimension");
        need(count * sizeof(float), "tensor '" + name + "'");
        Tensor t{int(d[0]), int(d[1]), int(d[2]), int(d[3])};
        std::memcpy(t.data(), p_, t.size() * sizeof(float));
        p_ += t.size() * sizeof(float);
        return t;
    }
    bool done() const { return p_ == end_; }
    size_t remaining() const { return size_t(end_ - p_); }
    [[noreturn]] void fail(const std::string& problem) const {
        throw ModelFileError(ModelFileError::Kind::Malformed, path_, "malformed model file: " + problem);
    }

  private:
    template <class T>
    T get() {
        need(sizeof(T), "a number");
        T v;
        std::memcpy(&v, p_, sizeof(T));
        p_ += sizeof(T);
        return v;
    }
    void need(uint64_t n, const std::string& what) const {
        if (n > uint64_t(end_ - p_)) fail("unexpected end of data while reading " + what);
    }
    const uint8_t* p_;
    const uint8_t* end_;
    std::string path_;
};

// Writes bytes to path atomically: a temporary file in the same folder, flushed to disk, then renamed over
// the target, so a crash at any moment leaves either the old file or the new one, never half of one.
inline void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
    const std::string tmp = path + ".tmp";
    auto fail = [&](const std::string& what) {
        std::remove(tmp.c_str());
        throw ModelFileError(ModelFileError::Kind::WriteFailed, path, what + ": " + std::strerror(errno));
    };
#if defined(__unix__) || defined(__APPLE__)
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot create " + tmp);
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            fail("cannot write " + tmp);
        }
        written += size_t(n);
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        fail("cannot flush " + tmp);
    }
    ::close(fd);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename " + tmp);
    // Make the rename itself durable.
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.find_last_of('/'));
    if (dir.empty()) dir = "/";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
#else
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        if (!out.flush()) fail("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename " + tmp);
#endif
}

}  // namespace detail

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

inline std::vector<uint8_t> serialize(Sequential& net, const NamedTensors& extra = {}) {
    detail::Writer w;
    if (net.variable_width())
        net.metadata["cnn.variable_width"] = "1";
    else
        net.metadata.erase("cnn.variable_width");
    Shape in = net.input_shape();
    w.u32(uint32_t(in.c));
    w.u32(uint32_t(in.h));
    w.u32(uint32_t(in.w));
    w.u32(uint32_t(net.metadata.size()));
    for (const auto& [k, v] : net.metadata) {
        w.str(k);
        w.str(v);
    }
    w.u32(uint32_t(net.size()));
    for (size_t i = 0; i < net.size(); ++i) {
        Layer& l = net.layer(i);
        w.str(l.type());
        Hyper h = l.hyper();
        w.u32(uint32_t(h.size()));
        for (const auto& [k, v] : h) {
            w.str(k);
            w.f64(v);
        }
        auto params = l.params();
        auto buffers = l.buffers();
        w.u32(uint32_t(params.size() + buffers.size()));
        for (Param* p : params) w.tensor(p->name, p->value);
        for (auto& [name, t] : buffers) w.tensor(name, *t);
    }
    w.u32(uint32_t(extra.size()));
    for (const auto& [name, t] : extra) w.tensor(name, t);

    detail::Writer file;
    file.raw(kModelMagic, 8);
    file.u32(kFormatVersion);
    file.u64(w.bytes.size());
    file.raw(w.bytes.data(), w.bytes.size());
    file.u32(crc32(w.bytes.data(), w.bytes.size()));
    return std::move(file.bytes);
}

inline void save(Sequential& net, const std::string& path, const NamedTensors& extra = {}) {
    detail::write_file_atomically(path, serialize(net, extra));
}

// Parses a model from bytes; `path` only names the source in error messages.
inline Sequential deserialize(const std::vector<uint8_t>& bytes, const std::string& path,
                              NamedTensors* extra = nullptr) {
    using Kind = ModelFileError::Kind;
    constexpr size_t header = 20;
    if (bytes.empty()) throw ModelFileError(Kind::Truncated, path, "truncated model file: the file is empty");
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kModelMagic, std::min<size_t>(8, bytes.size())) != 0) {
        if (bytes.size() < 8 && std::memcmp(bytes.data(), kModelMagic, bytes.size()) == 0)
            throw ModelFileError(Kind::Truncated, path,
                                 "truncated model file: " + std::to_string(bytes.size()) + " bytes");
        throw ModelFileError(Kind::WrongMagic, path, "not a model file (wrong magic; expected \"CNNMODEL\")");
    }
    if (bytes.size() < header)
        throw ModelFileError(
            Kind::Truncated, path,
            "truncated model file: " + std::to_string(bytes.size()) + " bytes, the header alone needs 20");
    uint32_t version;
    uint64_t payload;
    std::memcpy(&version, bytes.data() + 8, 4);
    std::memcpy(&payload, bytes.data() + 12, 8);
    if (version > kFormatVersion)
        throw ModelFileError(Kind::NewerVersion, path,
                             "model format version " + std::to_string(version) +
                                 " is newer than this program supports (" + std::to_string(kFormatVersion) +
                                 ")");
    if (version == 0) throw ModelFileError(Kind::Malformed, path, "malformed model file: format version 0");
    if (payload > bytes.size() || bytes.size() < header + payload + 4)
        throw ModelFileError(Kind::Truncated, path,
                             "truncated model file: " + std::to_string(bytes.size()) +
                                 " bytes, the header announces " + std::to_string(header + payload + 4));
    if (bytes.size() > header + payload + 4)
        throw ModelFileError(Kind::Corrupted, path,
                             "corrupted model file: " + std::to_string(bytes.size() - header - payload - 4) +
                                 " unexpected bytes after the end");
    uint32_t stored_crc;
    std::memcpy(&stored_crc, bytes.data() + header + payload, 4);
    if (crc32(bytes.data() + header, size_t(payload)) != stored_crc)
        throw ModelFileError(Kind::Corrupted, path, "corrupted model file: checksum mismatch");

    detail::Reader r(bytes.data() + header, size_t(payload), path);
    Shape in;
    in.c = int(r.u32());
    in.h = int(r.u32());
    in.w = int(r.u32());
    if (in.c <= 0 || in.h <= 0 || in.w <= 0 || in.c > 4096 || in.h > 65536 || in.w > 65536)
        r.fail("input shape " + in.str());
    Sequential net(in);
    uint32_t n_meta = r.u32();
    for (uint32_t i = 0; i < n_meta; ++i) {
        std::string k = r.str();
        net.metadata[k] = r.str();
    }
    {
        auto it = net.metadata.find("cnn.variable_width");
        net.set_variable_width(it != net.metadata.end() && it->second == "1");
    }
    uint32_t n_layers = r.u32();
    if (n_layers == 0 || n_layers > 10000) r.fail(std::to_string(n_layers) + " layers");
    for (uint32_t i = 0; i < n_layers; ++i) {
        std::string type = r.str();
        Hyper h;
        uint32_t n_hyper = r.u32();
        if (n_hyper > 64)
            r.fail("layer " + std::to_string(i) + " has " + std::to_string(n_hyper) + " hyperparameters");
        for (uint32_t j = 0; j < n_hyper; ++j) {
            std::string k = r.str();
            h.emplace_back(k, r.f64());
        }
        // Never allocate from unchecked numbers: the weights a layer would hold must fit in what is left.
        const LayerType* known = LayerRegistry::instance().find(type);
        if (!known)
            r.fail("layer " + std::to_string(i) + " (" + type + "): unknown layer type '" + type + "'");
        const double floats = known->stored_floats(h);
        if (!(floats >= 0) || floats * sizeof(float) > double(r.remaining()))
            r.fail("layer " + std::to_string(i) + " (" + type +
                   ") announces more weights than the file holds");
        std::unique_ptr<Layer> layer;
        try {
            layer = make_layer(type, h);
            net.add(std::move(layer));
        } catch (const std::invalid_argument& e) {
            r.fail("layer " + std::to_string(i) + " (" + type + "): " + e.what());
        }
        Layer& added = net.layer(net.size() - 1);
        auto params = added.params();
        auto buffers = added.buffers();
        uint32_t n_tensors = r.u32();
        if (n_tensors != params.size() + buffers.size())
            r.fail("layer " + std::to_string(i) + " (" + type + ") has " + std::to_string(n_tensors) +
                   " tensors, expected " + std::to_string(params.size() + buffers.size()));
        for (Param* p : params) {
            std::string name = r.str();
            if (name != p->name)
                r.fail("layer " + std::to_string(i) + ": tensor '" + name + "' where '" + p->name +
                       "' belongs");
            r.tensor_into(p->value, type + "." + name);
        }
        for (auto& [bname, t] : buffers) {
            std::string name = r.str();
            if (name != bname)
                r.fail("layer " + std::to_string(i) + ": tensor '" + name + "' where '" + bname +
                       "' belongs");
            r.tensor_into(*t, type + "." + name);
        }
    }
    uint32_t n_extra = r.u32();
    if (n_extra > 100000) r.fail(std::to_string(n_extra) + " extra tensors");
    for (uint32_t i = 0; i < n_extra; ++i) {
        std::string name;
        Tensor t = r.tensor_any(name);
        if (extra) extra->emplace_back(name, std::move(t));
    }
    if (!r.done()) r.fail("unexpected bytes after the last tensor");
    return net;
}

inline Sequential load(const std::string& path, NamedTensors* extra = nullptr) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ModelFileError(ModelFileError::Kind::NotFound, path,
                             "cannot open model file (missing or unreadable)");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return deserialize(bytes, path, extra);
}

}  // namespace cnn
