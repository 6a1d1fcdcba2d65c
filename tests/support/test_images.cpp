#include "test_images.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace testimg {

Rgba::Rgba(int w, int h, std::array<std::uint8_t, 4> fill) : width(w), height(h), px(std::size_t(w) * h * 4) {
    for (std::size_t i = 0; i < px.size(); i += 4)
        std::copy(fill.begin(), fill.end(), px.begin() + std::ptrdiff_t(i));
}

std::vector<Segment> digit_strokes(int digit) {
    auto polyline = [](std::initializer_list<std::pair<float, float>> points) {
        std::vector<Segment> segments;
        const std::vector<std::pair<float, float>> p(points);
        for (std::size_t i = 1; i < p.size(); ++i)
            segments.push_back({p[i - 1].first, p[i - 1].second, p[i].first, p[i].second});
        return segments;
    };
    auto ellipse = [](float cx, float cy, float rx, float ry) {
        std::vector<Segment> segments;
        const int n = 24;
        for (int i = 0; i < n; ++i) {
            const float a0 = 6.2831853f * i / n, a1 = 6.2831853f * (i + 1) / n;
            segments.push_back({cx + rx * std::cos(a0), cy + ry * std::sin(a0), cx + rx * std::cos(a1),
                                cy + ry * std::sin(a1)});
        }
        return segments;
    };
    std::vector<Segment> s;
    auto add = [&s](const std::vector<Segment>& more) { s.insert(s.end(), more.begin(), more.end()); };
    switch (digit) {
        case 0: {
            const int n = 24;
            for (int i = 0; i < n; ++i) {
                const float a0 = 6.2831853f * i / n, a1 = 6.2831853f * (i + 1) / n;
                s.push_back({0.5f + 0.42f * std::cos(a0), 0.5f + 0.5f * std::sin(a0),
                             0.5f + 0.42f * std::cos(a1), 0.5f + 0.5f * std::sin(a1)});
            }
            break;
        }
        case 1:
            add(polyline({{0.3f, 0.2f}, {0.55f, 0.0f}, {0.55f, 1.0f}}));
            break;
        case 2:
            add(polyline({{0.12f, 0.25f},
                          {0.3f, 0.03f},
                          {0.7f, 0.03f},
                          {0.88f, 0.25f},
                          {0.8f, 0.47f},
                          {0.12f, 1.0f},
                          {0.92f, 1.0f}}));
            break;
        case 3:
            add(polyline({{0.15f, 0.04f},
                          {0.85f, 0.04f},
                          {0.45f, 0.45f},
                          {0.82f, 0.6f},
                          {0.86f, 0.85f},
                          {0.6f, 1.0f},
                          {0.12f, 0.94f}}));
            break;
        case 4:  // two strokes that do not touch, as many people write it
            add(polyline({{0.55f, 0.0f}, {0.05f, 0.62f}, {0.6f, 0.62f}}));
            add(polyline({{0.76f, 0.1f}, {0.76f, 1.0f}}));
            break;
        case 5:  // the top bar apart from the body
            add(polyline({{0.32f, 0.0f}, {0.88f, 0.0f}}));
            add(polyline({{0.22f, 0.1f},
                          {0.18f, 0.45f},
                          {0.6f, 0.4f},
                          {0.86f, 0.6f},
                          {0.8f, 0.9f},
                          {0.5f, 1.0f},
                          {0.14f, 0.9f}}));
            break;
        case 6:
            add(polyline({{0.78f, 0.02f},
                          {0.45f, 0.15f},
                          {0.22f, 0.45f},
                          {0.16f, 0.75f},
                          {0.3f, 0.97f},
                          {0.6f, 1.0f},
                          {0.84f, 0.84f},
                          {0.8f, 0.62f},
                          {0.55f, 0.52f},
                          {0.3f, 0.58f},
                          {0.18f, 0.72f}}));
            break;
        case 7:
            add(polyline({{0.08f, 0.0f}, {0.92f, 0.0f}, {0.4f, 1.0f}}));
            break;
        case 8:  // two loops, one over the other
            add(ellipse(0.5f, 0.24f, 0.3f, 0.24f));
            add(ellipse(0.5f, 0.74f, 0.38f, 0.26f));
            break;
        case 9:  // a loop and a stem on its right
            add(ellipse(0.45f, 0.27f, 0.35f, 0.27f));
            add(polyline({{0.8f, 0.27f}, {0.74f, 1.0f}}));
            break;
        default:
            add(polyline({{0.5f, 0.0f}, {0.5f, 1.0f}}));
            break;
    }
    return s;
}

void fill_paper(Rgba& image, std::array<float, 3> tint, float shadow, float grain, std::mt19937& rng) {
    std::normal_distribution<float> noise(0.0f, grain * 255.0f);
    for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
            const float light =
                1.0f - shadow * (float(x) / image.width * 0.7f + float(y) / image.height * 0.3f);
            std::uint8_t* p = image.at(x, y);
            const float n = grain > 0 ? noise(rng) : 0.0f;
            for (int c = 0; c < 3; ++c)
                p[c] = std::uint8_t(std::clamp(tint[std::size_t(c)] * 255.0f * light + n, 0.0f, 255.0f));
            p[3] = 255;
        }
    }
}

void draw_segments(Rgba& image, const std::vector<Segment>& segments, float box_x, float box_y, float box_w,
                   float box_h, float width, std::array<std::uint8_t, 4> colour) {
    // Coverage over the digit's box (max over segments, so that joints are not darker), then one blend.
    const int x0 = std::max(0, int(box_x - width - 2)), y0 = std::max(0, int(box_y - width - 2));
    const int x1 = std::min(image.width - 1, int(box_x + box_w + width + 2));
    const int y1 = std::min(image.height - 1, int(box_y + box_h + width + 2));
    for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) {
            float coverage = 0.0f;
            const float px = x + 0.5f, py = y + 0.5f;
            for (const Segment& s : segments) {
                const float ax = box_x + s.x0 * box_w, ay = box_y + s.y0 * box_h;
                const float bx = box_x + s.x1 * box_w, by = box_y + s.y1 * box_h;
                const float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
                const float t =
                    len2 > 0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0.0f, 1.0f) : 0.0f;
                const float d = std::hypot(px - (ax + t * dx), py - (ay + t * dy));
                coverage = std::max(coverage, std::clamp(width / 2 + 0.5f - d, 0.0f, 1.0f));
            }
            if (coverage <= 0) continue;
            std::uint8_t* p = image.at(x, y);
            const float a = coverage * colour[3] / 255.0f;
            for (int c = 0; c < 3; ++c)
                p[c] = std::uint8_t(std::lround(colour[std::size_t(c)] * a + p[c] * (1 - a)));
            p[3] = std::uint8_t(std::lround(255.0f * (a + p[3] / 255.0f * (1 - a))));
        }
    }
}

void draw_digit(Rgba& image, int digit, float box_x, float box_y, float box_w, float box_h, float width,
                std::array<std::uint8_t, 4> colour) {
    draw_segments(image, digit_strokes(digit), box_x, box_y, box_w, box_h, width, colour);
}

namespace {

void append_to_string(void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), std::size_t(size));
}

void put_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((v >> shift) & 0xFF));
}

void put_chunk(std::string& png, const char* type, const std::string& data) {
    put_be32(png, std::uint32_t(data.size()));
    std::string body = std::string(type, 4) + data;
    png += body;
    put_be32(png, std::uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
}

std::uint8_t grey_of(const std::uint8_t* p) {
    return std::uint8_t((299 * p[0] + 587 * p[1] + 114 * p[2]) / 1000);
}

}  // namespace

std::string encode_png_rgba(const Rgba& image) {
    std::string out;
    stbi_write_png_to_func(append_to_string, &out, image.width, image.height, 4, image.px.data(),
                           image.width * 4);
    return out;
}

std::string encode_jpeg(const Rgba& image, int quality) {
    std::vector<std::uint8_t> rgb(std::size_t(image.width) * image.height * 3);
    for (std::size_t i = 0, n = std::size_t(image.width) * image.height; i < n; ++i)
        std::copy_n(&image.px[i * 4], 3, &rgb[i * 3]);
    std::string out;
    stbi_write_jpg_to_func(append_to_string, &out, image.width, image.height, 3, rgb.data(), quality);
    return out;
}

std::string encode_bmp(const Rgba& image) {
    std::string out;
    stbi_write_bmp_to_func(append_to_string, &out, image.width, image.height, 4, image.px.data());
    return out;
}

std::string encode_gif(const Rgba& image) {
    std::string gif = "GIF89a";
    auto le16 = [&gif](int v) {
        gif.push_back(char(v & 0xFF));
        gif.push_back(char((v >> 8) & 0xFF));
    };
    le16(image.width);
    le16(image.height);
    gif.push_back(char(0xF7));  // global colour table of 256 entries
    gif.push_back(0);
    gif.push_back(0);
    for (int i = 0; i < 256; ++i) gif.append(3, char(i));
    gif.push_back(0x2C);
    le16(0), le16(0), le16(image.width), le16(image.height);
    gif.push_back(0);
    gif.push_back(8);  // LZW minimum code size
    // "Uncompressed" LZW: 9-bit literal codes with a clear code often enough that the code size never grows.
    std::string codes;
    std::uint32_t bit_buffer = 0;
    int bit_count = 0;
    auto emit = [&](int code) {
        bit_buffer |= std::uint32_t(code) << bit_count;
        bit_count += 9;
        while (bit_count >= 8) {
            codes.push_back(char(bit_buffer & 0xFF));
            bit_buffer >>= 8;
            bit_count -= 8;
        }
    };
    int since_clear = 0;
    emit(256);
    for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
            if (since_clear == 250) {
                emit(256);
                since_clear = 0;
            }
            emit(grey_of(image.at(x, y)));
            ++since_clear;
        }
    }
    emit(257);
    if (bit_count > 0) codes.push_back(char(bit_buffer & 0xFF));
    for (std::size_t i = 0; i < codes.size(); i += 255) {
        const std::size_t n = std::min<std::size_t>(255, codes.size() - i);
        gif.push_back(char(n));
        gif.append(codes, i, n);
    }
    gif.push_back(0);
    gif.push_back(0x3B);
    return gif;
}

std::string encode_png_custom(const Rgba& image, int colour_type, int bit_depth) {
    const int channels = colour_type == 0   ? 1
                         : colour_type == 2 ? 3
                         : colour_type == 3 ? 1
                         : colour_type == 4 ? 2
                                            : 4;
    const std::size_t row_bytes = (std::size_t(image.width) * channels * bit_depth + 7) / 8;
    std::string raw;
    for (int y = 0; y < image.height; ++y) {
        raw.push_back(0);  // filter: none
        std::string row(row_bytes, '\0');
        for (int x = 0; x < image.width; ++x) {
            const std::uint8_t* p = image.at(x, y);
            std::vector<int> samples;  // at bit_depth
            const int max_value = (1 << bit_depth) - 1;
            auto scaled = [&](int v8) { return (v8 * max_value + 127) / 255; };
            if (colour_type == 0) samples = {scaled(grey_of(p))};
            if (colour_type == 2) samples = {scaled(p[0]), scaled(p[1]), scaled(p[2])};
            if (colour_type == 3) samples = {grey_of(p) / 16};  // 16-entry grey palette index
            if (colour_type == 4) samples = {scaled(grey_of(p)), scaled(p[3])};
            if (colour_type == 6) samples = {scaled(p[0]), scaled(p[1]), scaled(p[2]), scaled(p[3])};
            for (int c = 0; c < channels; ++c) {
                const std::size_t bit = (std::size_t(x) * channels + c) * bit_depth;
                const int v = samples[std::size_t(c)];
                if (bit_depth == 16) {
                    row[bit / 8] = char(v >> 8);
                    row[bit / 8 + 1] = char(v & 0xFF);
                } else if (bit_depth == 8) {
                    row[bit / 8] = char(v);
                } else {
                    row[bit / 8] = char(std::uint8_t(row[bit / 8]) | (v << (8 - bit_depth - bit % 8)));
                }
            }
        }
        raw += row;
    }
    uLongf compressed_size = compressBound(uLong(raw.size()));
    std::string compressed(compressed_size, '\0');
    compress2(reinterpret_cast<Bytef*>(&compressed[0]), &compressed_size,
              reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()), 6);
    compressed.resize(compressed_size);

    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    put_be32(ihdr, std::uint32_t(image.width));
    put_be32(ihdr, std::uint32_t(image.height));
    ihdr += char(bit_depth);
    ihdr += char(colour_type);
    ihdr += std::string(3, '\0');
    put_chunk(png, "IHDR", ihdr);
    if (colour_type == 3) {
        std::string palette;
        for (int i = 0; i < 16; ++i) palette.append(3, char(i * 17));
        put_chunk(png, "PLTE", palette);
    }
    put_chunk(png, "IDAT", compressed);
    put_chunk(png, "IEND", "");
    return png;
}

std::string png_header_only(std::uint32_t width, std::uint32_t height) {
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    put_be32(ihdr, width);
    put_be32(ihdr, height);
    ihdr += char(8);
    ihdr += char(0);
    ihdr += std::string(3, '\0');
    put_chunk(png, "IHDR", ihdr);
    put_chunk(png, "IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8));
    put_chunk(png, "IEND", "");
    return png;
}

std::string with_exif_orientation(const std::string& jpeg, int orientation) {
    const std::string tiff = std::string("II\x2a\x00\x08\x00\x00\x00", 8) + std::string("\x01\x00", 2) +
                             std::string("\x12\x01\x03\x00\x01\x00\x00\x00", 8) + char(orientation) +
                             std::string("\x00\x00\x00", 3) + std::string(4, '\0');
    const std::string payload = std::string("Exif\0\0", 6) + tiff;
    const std::size_t length = payload.size() + 2;
    std::string segment = "\xFF\xE1";
    segment += char(length >> 8);
    segment += char(length & 0xFF);
    segment += payload;
    return jpeg.substr(0, 2) + segment + jpeg.substr(2);
}

Rgba stored_for_orientation(const Rgba& upright, int orientation) {
    const bool swaps = orientation >= 5;
    Rgba stored(swaps ? upright.height : upright.width, swaps ? upright.width : upright.height);
    const int w = stored.width, h = stored.height;
    for (int y = 0; y < upright.height; ++y) {
        for (int x = 0; x < upright.width; ++x) {
            int sx = x, sy = y;
            switch (orientation) {
                case 2:
                    sx = w - 1 - x;
                    break;
                case 3:
                    sx = w - 1 - x, sy = h - 1 - y;
                    break;
                case 4:
                    sy = h - 1 - y;
                    break;
                case 5:
                    sx = y, sy = x;
                    break;
                case 6:
                    sx = y, sy = h - 1 - x;
                    break;
                case 7:
                    sx = w - 1 - y, sy = h - 1 - x;
                    break;
                case 8:
                    sx = w - 1 - y, sy = x;
                    break;
            }
            std::copy_n(upright.at(x, y), 4, stored.at(sx, sy));
        }
    }
    return stored;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool load_mnist_test(const std::string& dir, Mnist& out) {
    const std::string images = read_file(dir + "/t10k-images-idx3-ubyte");
    const std::string labels = read_file(dir + "/t10k-labels-idx1-ubyte");
    if (images.size() < 16 || labels.size() < 8) return false;
    auto be32 = [](const std::string& s, std::size_t at) {
        return std::uint32_t(std::uint8_t(s[at])) << 24 | std::uint32_t(std::uint8_t(s[at + 1])) << 16 |
               std::uint32_t(std::uint8_t(s[at + 2])) << 8 | std::uint32_t(std::uint8_t(s[at + 3]));
    };
    if (be32(images, 0) != 0x803 || be32(labels, 0) != 0x801) return false;
    out.count = int(std::min(be32(images, 4), be32(labels, 4)));
    if (images.size() < 16 + std::size_t(out.count) * 784 || labels.size() < 8 + std::size_t(out.count))
        return false;
    out.images.assign(images.begin() + 16, images.begin() + 16 + std::ptrdiff_t(out.count) * 784);
    out.labels.assign(labels.begin() + 8, labels.begin() + 8 + out.count);
    return true;
}

InkStats ink_stats(const digit::Image28& image) {
    InkStats s;
    for (int y = 0; y < 28; ++y) {
        for (int x = 0; x < 28; ++x) {
            const double v = image[std::size_t(y * 28 + x)];
            s.mass += v;
            s.com_x += v * (x + 0.5);
            s.com_y += v * (y + 0.5);
            s.max_value = std::max(s.max_value, v);
            if (v > 0.1) {
                s.box_x0 = std::min(s.box_x0, x), s.box_x1 = std::max(s.box_x1, x);
                s.box_y0 = std::min(s.box_y0, y), s.box_y1 = std::max(s.box_y1, y);
            }
        }
    }
    if (s.mass > 0) s.com_x /= s.mass, s.com_y /= s.mass;
    return s;
}

double correlation(const digit::Image28& a, const digit::Image28& b) {
    double ma = 0, mb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
    ma /= double(a.size()), mb /= double(b.size());
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

}  // namespace testimg
