#include "decode.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "exif.hpp"

// stb_image compiled here, privately (static functions), for the four formats the API accepts: fewer
// decoders facing the internet, no clash with anyone else's copy, and the fuzzer instruments it too.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_NO_FAILURE_STRINGS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace digit {
namespace {

[[noreturn]] void throw_unsupported(const std::string& why) {
    throw ImageError(ErrorCode::unsupported_media_type, why);
}

enum class Format { png, jpeg, bmp, gif, unknown };

Format sniff_format(const std::uint8_t* bytes, std::size_t size) {
    auto starts_with = [&](const char* magic, std::size_t length) {
        return size >= length && std::memcmp(bytes, magic, length) == 0;
    };
    if (starts_with("\x89PNG\r\n\x1a\n", 8)) return Format::png;
    if (starts_with("\xFF\xD8\xFF", 3)) return Format::jpeg;
    if (starts_with("GIF87a", 6) || starts_with("GIF89a", 6)) return Format::gif;
    if (starts_with("BM", 2)) return Format::bmp;
    return Format::unknown;
}

// Dimensions from the PNG IHDR when stb_image refuses the header (it rejects sides over 2^24 as an error,
// but such a file is a too-large image, not an unknown format).
bool png_header_dimensions(const std::uint8_t* bytes, std::size_t size, std::uint64_t& width,
                           std::uint64_t& height) {
    if (size < 24 || std::memcmp(bytes + 12, "IHDR", 4) != 0) return false;
    auto be32 = [&](std::size_t at) {
        return std::uint64_t(bytes[at]) << 24 | std::uint64_t(bytes[at + 1]) << 16 |
               std::uint64_t(bytes[at + 2]) << 8 | std::uint64_t(bytes[at + 3]);
    };
    width = be32(16);
    height = be32(20);
    return true;
}

float luma(const std::uint8_t* rgb) {
    return (0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]) * (1.0f / 255.0f);
}

// Grey value in [0,1] of one decoded pixel with `channels` channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA),
// composited over a backdrop of grey `backdrop`.
inline float pixel_grey(const std::uint8_t* p, int channels, float backdrop) {
    switch (channels) {
        case 1:
            return p[0] * (1.0f / 255.0f);
        case 2: {
            const float alpha = p[1] * (1.0f / 255.0f);
            return alpha * p[0] * (1.0f / 255.0f) + (1.0f - alpha) * backdrop;
        }
        case 3:
            return luma(p);
        default: {
            const float alpha = p[3] * (1.0f / 255.0f);
            return alpha * luma(p) + (1.0f - alpha) * backdrop;
        }
    }
}

// Transparent regions are composited over white, unless what is drawn is itself light (white strokes on a
// transparent canvas), in which case over black: either way the strokes keep their contrast.
float choose_backdrop(const std::uint8_t* pixels, std::size_t count, int channels) {
    if (channels != 2 && channels != 4) return 1.0f;
    double opaque_weight = 0.0, opaque_grey = 0.0;
    std::size_t transparent = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = pixels + i * std::size_t(channels);
        const float alpha = p[channels - 1] * (1.0f / 255.0f);
        if (alpha < 0.5f) ++transparent;
        opaque_weight += alpha;
        opaque_grey += alpha * (channels == 2 ? p[0] * (1.0f / 255.0f) : luma(p));
    }
    // Only a substantial transparent area is a "canvas"; a photo with transparent corners stays on white.
    if (transparent * 5 < count || opaque_weight <= 0.0) return 1.0f;
    return opaque_grey / opaque_weight > 0.5 ? 0.0f : 1.0f;
}

// Applies an EXIF orientation (1..8) so that the image is upright as a viewer would show it.
GreyImage apply_orientation(GreyImage stored, int orientation) {
    if (orientation <= 1 || orientation > 8) return stored;
    const int w = stored.width, h = stored.height;
    const bool swaps_axes = orientation >= 5;
    GreyImage upright(swaps_axes ? h : w, swaps_axes ? w : h);
    for (int y = 0; y < upright.height; ++y) {
        for (int x = 0; x < upright.width; ++x) {
            int sx = x, sy = y;
            switch (orientation) {
                case 2:
                    sx = w - 1 - x;
                    break;  // mirrored
                case 3:
                    sx = w - 1 - x;
                    sy = h - 1 - y;
                    break;  // rotated 180
                case 4:
                    sy = h - 1 - y;
                    break;  // mirrored vertically
                case 5:
                    sx = y;
                    sy = x;
                    break;  // transposed
                case 6:
                    sx = y;
                    sy = h - 1 - x;
                    break;  // needs 90 degrees clockwise
                case 7:
                    sx = w - 1 - y;
                    sy = h - 1 - x;
                    break;  // transversed
                case 8:
                    sx = w - 1 - y;
                    sy = x;
                    break;  // needs 90 degrees anticlockwise
            }
            upright(x, y) = stored(sx, sy);
        }
    }
    return upright;
}
// A copy of a PNG without its zero-length IDAT chunks, or an empty string when it has none. stb_image
// (Debian's 2.27) copies an empty first IDAT into a buffer it has not allocated yet, a memcpy from/to null
// that UndefinedBehaviorSanitizer reports (found by fuzz_image_pipeline); the chunks carry no image data, so
// dropping them changes nothing else. Chunk framing errors are left for stb to reject.
std::string without_empty_idat(const std::uint8_t* bytes, std::size_t size) {
    constexpr std::size_t kSignature = 8;
    std::vector<std::pair<std::size_t, std::size_t>> keep;  // [begin, end) ranges of the file to keep
    std::size_t at = kSignature, kept_from = 0;
    bool found = false;
    while (at + 12 <= size) {
        const std::size_t length = (std::size_t(bytes[at]) << 24) | (std::size_t(bytes[at + 1]) << 16) |
                                   (std::size_t(bytes[at + 2]) << 8) | std::size_t(bytes[at + 3]);
        if (length > size - at - 12) break;
        if (length == 0 && std::memcmp(bytes + at + 4, "IDAT", 4) == 0) {
            keep.emplace_back(kept_from, at);
            kept_from = at + 12;
            found = true;
        }
        at += 12 + length;
    }
    if (!found) return {};
    keep.emplace_back(kept_from, size);
    std::string copy;
    for (const auto& [begin, end] : keep)
        copy.append(reinterpret_cast<const char*>(bytes) + begin, end - begin);
    return copy;
}

}  // namespace

DecodedImage decode_image(const void* data, std::size_t size, const DecodeOptions& options) {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    if (bytes == nullptr || size == 0) throw_unsupported("the file is empty");
    const Format format = sniff_format(bytes, size);
    const std::string cleaned = format == Format::png ? without_empty_idat(bytes, size) : std::string();
    if (!cleaned.empty()) {
        bytes = reinterpret_cast<const std::uint8_t*>(cleaned.data());
        size = cleaned.size();
    }
    if (format == Format::unknown) throw_unsupported("not a PNG, JPEG, BMP or GIF image");
    if (size > std::size_t(INT_MAX)) throw_unsupported("the file is too large to decode");

    // Before stb_image reads even the header: its JPEG header parser builds the Huffman tables too.
    if (format == Format::jpeg && !jpeg_is_complete(bytes, size)) {
        throw_unsupported("the JPEG file is truncated or its structure is corrupt");
    }
    int width = 0, height = 0, channels = 0;
    const int length = int(size);
    if (!stbi_info_from_memory(bytes, length, &width, &height, &channels)) {
        std::uint64_t header_w = 0, header_h = 0;
        if (format == Format::png && png_header_dimensions(bytes, size, header_w, header_h) &&
            header_w * header_h > options.max_pixels) {
            throw ImageError(ErrorCode::image_too_large, "the image has more pixels than the limit");
        }
        throw_unsupported("the image header is corrupt or of an unsupported kind");
    }
    if (width <= 0 || height <= 0) throw_unsupported("the image has no pixels");
    if (std::uint64_t(width) * std::uint64_t(height) > options.max_pixels) {
        throw ImageError(ErrorCode::image_too_large,
                         "the image is " + std::to_string(width) + "x" + std::to_string(height) +
                             " pixels, more than the limit of " + std::to_string(options.max_pixels));
    }

    std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
        stbi_load_from_memory(bytes, length, &width, &height, &channels, 0), stbi_image_free);
    if (!decoded || channels < 1 || channels > 4) throw_unsupported("the image data is corrupt or truncated");

    // Area-average down by an integer factor straight from the decoded bytes: a 12 MP photo never exists
    // as floats, and the ink search runs on a few hundred pixels a side.
    const int longest = std::max(width, height);
    const int working_side = std::max(16, options.working_side);
    const int factor = (longest + working_side - 1) / working_side;
    GreyImage stored((width + factor - 1) / factor, (height + factor - 1) / factor);
    const std::size_t pixel_count = std::size_t(width) * std::size_t(height);
    const float backdrop = choose_backdrop(decoded.get(), pixel_count, channels);
    for (int y = 0; y < height; ++y) {
        const stbi_uc* row = decoded.get() + std::size_t(y) * width * channels;
        float* out_row = &stored.v[std::size_t(y / factor) * std::size_t(stored.width)];
        for (int x = 0; x < width; ++x)
            out_row[x / factor] += pixel_grey(row + std::size_t(x) * channels, channels, backdrop);
    }
    for (int oy = 0; oy < stored.height; ++oy) {
        const int rows = std::min(factor, height - oy * factor);
        for (int ox = 0; ox < stored.width; ++ox) {
            const int cols = std::min(factor, width - ox * factor);
            stored(ox, oy) /= float(rows * cols);
        }
    }
    decoded.reset();
    DecodedImage result;
    const int orientation = format == Format::jpeg ? jpeg_exif_orientation(bytes, size) : 1;
    result.grey = apply_orientation(std::move(stored), orientation);
    const bool swaps_axes = orientation >= 5 && orientation <= 8;
    result.source_width = swaps_axes ? height : width;
    result.source_height = swaps_axes ? width : height;
    result.factor = factor;
    return result;
}

}  // namespace digit
