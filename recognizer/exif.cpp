#include "exif.hpp"

#include <cstdint>
#include <cstring>

namespace digit {
namespace {

// A read-only view that answers 0 past its end instead of reading out of bounds; callers check ok().
class ByteView {
  public:
    ByteView(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::size_t size() const { return size_; }
    bool has(std::size_t offset, std::size_t count) const {
        return offset <= size_ && count <= size_ - offset;
    }
    std::uint8_t u8(std::size_t offset) const { return offset < size_ ? data_[offset] : 0; }
    std::uint16_t u16(std::size_t offset, bool little_endian) const {
        const unsigned a = u8(offset), b = u8(offset + 1);
        return std::uint16_t(little_endian ? (a | b << 8) : (a << 8 | b));
    }
    std::uint32_t u32(std::size_t offset, bool little_endian) const {
        const std::uint32_t lo = u16(offset, little_endian), hi = u16(offset + 2, little_endian);
        return little_endian ? (lo | hi << 16) : (lo << 16 | hi);
    }
    ByteView sub(std::size_t offset, std::size_t count) const {
        if (!has(offset, count)) return ByteView(data_, 0);
        return ByteView(data_ + offset, count);
    }
    const std::uint8_t* data() const { return data_; }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
};

bool is_standalone_marker(std::uint8_t marker) {
    return (marker >= 0xD0 && marker <= 0xD9) || marker == 0x01;  // RSTn, SOI, EOI, TEM carry no length
}

// Reads a TIFF structure (the body of an Exif segment) and returns tag 0x0112 of IFD0, or 1.
int tiff_orientation(const ByteView& tiff) {
    if (!tiff.has(0, 8)) return 1;
    bool little_endian;
    if (tiff.u8(0) == 'I' && tiff.u8(1) == 'I') {
        little_endian = true;
    } else if (tiff.u8(0) == 'M' && tiff.u8(1) == 'M') {
        little_endian = false;
    } else {
        return 1;
    }
    if (tiff.u16(2, little_endian) != 42) return 1;
    const std::size_t ifd = tiff.u32(4, little_endian);
    if (!tiff.has(ifd, 2)) return 1;
    const std::size_t entry_count = tiff.u16(ifd, little_endian);
    for (std::size_t i = 0; i < entry_count; ++i) {
        const std::size_t entry = ifd + 2 + 12 * i;
        if (!tiff.has(entry, 12)) return 1;
        if (tiff.u16(entry, little_endian) != 0x0112) continue;
        const std::uint16_t type = tiff.u16(entry + 2, little_endian);
        if (type != 3 /* SHORT */) return 1;
        const int orientation =
            tiff.u16(entry + 8, little_endian);  // a SHORT sits at the value field's start
        return orientation >= 1 && orientation <= 8 ? orientation : 1;
    }
    return 1;
}

// A DHT segment's tables: class 0/1, id 0..3, and at most 256 codes each. stb_image 2.27 (Debian 12) trusts
// the code counts and writes past its 257-entry table when they sum to more (found by fuzzing).
bool huffman_tables_valid(const ByteView& segment) {
    std::size_t pos = 0;
    while (pos < segment.size()) {
        if (!segment.has(pos, 17)) return false;
        const std::uint8_t table = segment.u8(pos);
        if ((table >> 4) > 1 || (table & 0x0F) > 3) return false;
        std::size_t codes = 0;
        for (std::size_t i = 1; i <= 16; ++i) codes += segment.u8(pos + i);
        if (codes > 256 || !segment.has(pos + 17, codes)) return false;
        pos += 17 + codes;
    }
    return true;
}

}  // namespace

int jpeg_exif_orientation(const void* data, std::size_t size) {
    const ByteView jpeg(static_cast<const std::uint8_t*>(data), size);
    if (!jpeg.has(0, 4) || jpeg.u8(0) != 0xFF || jpeg.u8(1) != 0xD8) return 1;
    std::size_t pos = 2;
    while (jpeg.has(pos, 4)) {
        if (jpeg.u8(pos) != 0xFF) return 1;
        const std::uint8_t marker = jpeg.u8(pos + 1);
        if (marker == 0xFF) {  // fill byte
            ++pos;
            continue;
        }
        if (is_standalone_marker(marker)) {
            if (marker == 0xD9) return 1;
            pos += 2;
            continue;
        }
        if (marker == 0xDA) return 1;  // start of scan: the metadata segments are all behind us
        const std::size_t length = jpeg.u16(pos + 2, false);
        if (length < 2 || !jpeg.has(pos + 2, length)) return 1;
        if (marker == 0xE1 && length >= 8 && std::memcmp(jpeg.data() + pos + 4, "Exif\0\0", 6) == 0) {
            return tiff_orientation(jpeg.sub(pos + 10, length - 8));
        }
        pos += 2 + length;
    }
    return 1;
}

bool jpeg_is_complete(const void* data, std::size_t size) {
    const ByteView jpeg(static_cast<const std::uint8_t*>(data), size);
    if (!jpeg.has(0, 2) || jpeg.u8(0) != 0xFF || jpeg.u8(1) != 0xD8) return false;
    std::size_t pos = 2;
    bool in_scan = false;  // inside entropy-coded data, where 0xFF00 is a stuffed byte and RSTn are markers
    while (pos < size) {
        if (in_scan) {
            const void* next_ff = std::memchr(jpeg.data() + pos, 0xFF, size - pos);
            if (next_ff == nullptr) return false;
            pos = std::size_t(static_cast<const std::uint8_t*>(next_ff) - jpeg.data());
            if (!jpeg.has(pos, 2)) return false;
            const std::uint8_t following = jpeg.u8(pos + 1);
            if (following == 0x00 || following == 0xFF || (following >= 0xD0 && following <= 0xD7)) {
                pos += following == 0xFF ? 1 : 2;
                continue;
            }
            in_scan = false;  // a real marker ends the scan; handle it below
        }
        if (!jpeg.has(pos, 2) || jpeg.u8(pos) != 0xFF) return false;
        const std::uint8_t marker = jpeg.u8(pos + 1);
        if (marker == 0xFF) {
            ++pos;
            continue;
        }
        if (marker == 0xD9) return true;
        if (is_standalone_marker(marker)) {
            pos += 2;
            continue;
        }
        if (!jpeg.has(pos + 2, 2)) return false;
        const std::size_t length = jpeg.u16(pos + 2, false);
        if (length < 2 || !jpeg.has(pos + 2, length)) return false;
        if (marker == 0xC4 && !huffman_tables_valid(jpeg.sub(pos + 4, length - 2))) return false;
        pos += 2 + length;
        if (marker == 0xDA) in_scan = true;
    }
    return false;
}

}  // namespace digit
