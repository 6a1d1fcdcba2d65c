// The pictures of write_debug_images, encoded with stb_image_write (a private copy, like stb_image's).
#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>

#include "numbers.hpp"
#include "recognizer.hpp"
#include "text_reading.hpp"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace digit {
namespace {

struct Rgb {
    int width = 0, height = 0;
    std::vector<std::uint8_t> px;
    Rgb(int w, int h) : width(w), height(h), px(std::size_t(w) * std::size_t(h) * 3, 0) {}
    void set(int x, int y, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
        if (x < 0 || y < 0 || x >= width || y >= height) return;
        std::uint8_t* p = &px[(std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3];
        p[0] = r, p[1] = g, p[2] = b;
    }
    void outline(const Box& box, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
        for (int x = box.x0; x <= box.x1; ++x) set(x, box.y0, r, g, b), set(x, box.y1, r, g, b);
        for (int y = box.y0; y <= box.y1; ++y) set(box.x0, y, r, g, b), set(box.x1, y, r, g, b);
    }
};

std::uint8_t byte_of(float v) {
    return std::uint8_t(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
}

Rgb from_plane(const Plane& plane, float scale) {
    Rgb image(plane.width, plane.height);
    for (int y = 0; y < plane.height; ++y)
        for (int x = 0; x < plane.width; ++x) {
            const std::uint8_t v = byte_of(plane(x, y) * scale);
            image.set(x, y, v, v, v);
        }
    return image;
}

Rgb enlarged(const Image28& input) {
    constexpr int kZoom = 8;
    Rgb big(kImageSide * kZoom, kImageSide * kZoom);
    for (int y = 0; y < big.height; ++y)
        for (int x = 0; x < big.width; ++x) {
            const std::uint8_t v =
                byte_of(input[std::size_t(y / kZoom) * kImageSide + std::size_t(x / kZoom)]);
            big.set(x, y, v, v, v);
        }
    return big;
}

void write_png(const std::string& path, const Rgb& image, std::vector<std::string>& written) {
    if (!stbi_write_png(path.c_str(), image.width, image.height, 3, image.px.data(), image.width * 3))
        throw std::runtime_error(path + ": cannot write the debug image");
    written.push_back(path);
}

}  // namespace

bool write_png_rgb(const std::string& path, int width, int height, const std::vector<unsigned char>& rgb) {
    return rgb.size() == std::size_t(width) * std::size_t(height) * 3 &&
           stbi_write_png(path.c_str(), width, height, 3, rgb.data(), width * 3) != 0;
}

std::vector<std::string> write_debug_images(const Trace& trace, const Image28* input,
                                            const std::string& directory, const std::string& stem) {
    ::mkdir(directory.c_str(), 0777);
    const std::string base = directory + "/" + stem;
    std::vector<std::string> written;
    if (!trace.decoded.grey.empty())
        write_png(base + ".1-grey.png", from_plane(trace.decoded.grey, 1.0f), written);
    if (!trace.ink.strength.empty()) {
        const float peak =
            std::max(1e-3f, *std::max_element(trace.ink.strength.v.begin(), trace.ink.strength.v.end()));
        write_png(base + ".2-ink.png", from_plane(trace.ink.strength, 1.0f / peak), written);
        const int w = trace.ink.mask.width, h = trace.ink.mask.height;
        std::vector<int> group_of(trace.components.list.size(), -1);
        for (std::size_t g = 0; g < trace.groups.size(); ++g)
            for (int m : trace.groups[g].members) group_of[std::size_t(m)] = int(g);
        std::vector<std::uint8_t> chosen(trace.components.list.size(), 0);
        for (int m : trace.chosen.members) chosen[std::size_t(m)] = 1;
        Rgb kept(w, h);
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) {
                const int label =
                    trace.components.labels.empty()
                        ? -1
                        : trace.components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
                if (label < 0) continue;
                if (chosen[std::size_t(label)])
                    kept.set(x, y, 255, 255, 255);
                else if (group_of[std::size_t(label)] >= 0)
                    kept.set(x, y, 80, 140, 255);
                else
                    kept.set(x, y, 200, 40, 40);
            }
        }
        for (const DigitGroup& g : trace.groups) kept.outline(g.box, 0, 200, 0);
        write_png(base + ".3-kept.png", kept, written);
    }
    if (input) write_png(base + ".4-input.png", enlarged(*input), written);
    return written;
}

std::vector<std::string> write_number_debug_images(const Trace& trace, const NumberReading& reading,
                                                   const std::string& directory, const std::string& stem) {
    std::vector<std::string> written = write_debug_images(trace, nullptr, directory, stem);
    const std::string base = directory + "/" + stem;
    if (!trace.decoded.grey.empty()) {
        Rgb boxes = from_plane(trace.decoded.grey, 1.0f);
        for (const ReadDigit& d : reading.digits) {
            Box outer = d.box;
            outer.x0 -= 1, outer.y0 -= 1, outer.x1 += 1, outer.y1 += 1;
            boxes.outline(d.box, 230, 30, 30);
            boxes.outline(outer, 230, 30, 30);
        }
        write_png(base + ".5-digits.png", boxes, written);
    }
    for (std::size_t i = 0; i < reading.digits.size(); ++i)
        write_png(base + ".6-digit-" + std::to_string(i + 1) + ".png", enlarged(reading.digits[i].input),
                  written);
    return written;
}

std::vector<std::string> write_text_debug_images(const TextReading& reading, const std::string& directory,
                                                 const std::string& stem) {
    std::vector<std::string> written;
    const std::string base = directory + "/" + stem;
    if (!reading.ink.strength.empty()) {
        // The upright ink (turned and straightened as read): each line's box in green, each character's in
        // red.
        float top = 0.0f;
        for (float v : reading.ink.strength.v) top = std::max(top, v);
        Rgb lines = from_plane(reading.ink.strength, top > 0 ? 1.0f / top : 1.0f);
        for (const ReadLine& line : reading.lines) {
            lines.outline(line.box, 40, 200, 40);
            for (const ReadCharacter& c : line.characters) lines.outline(c.box, 230, 30, 30);
        }
        write_png(base + ".5-lines.png", lines, written);
    }
    // Each strip the line reader read, enlarged 4 times, with the columns each character spans underlined
    // (alternating red and yellow) below it.
    for (std::size_t i = 0; i < reading.strips.size(); ++i) {
        const Plane& strip = reading.strips[i].pixels;
        constexpr int kZoom = 4, kBand = 6;
        Rgb big(strip.width * kZoom, (strip.height + kBand) * kZoom);
        for (int y = 0; y < strip.height * kZoom; ++y)
            for (int x = 0; x < big.width; ++x) {
                const std::uint8_t v = byte_of(strip(x / kZoom, y / kZoom));
                big.set(x, y, v, v, v);
            }
        if (i < reading.read.size())
            for (std::size_t k = 0; k < reading.read[i].characters.size(); ++k) {
                const LineCharacter& c = reading.read[i].characters[k];
                const bool odd = k % 2;
                for (int x = 4 * c.first_column * kZoom; x < 4 * (c.last_column + 1) * kZoom; ++x)
                    for (int y = (strip.height + 1) * kZoom; y < (strip.height + kBand - 1) * kZoom; ++y)
                        big.set(x, y, 230, odd ? 200 : 30, 30);
            }
        write_png(base + ".6-strip-" + std::to_string(i + 1) + ".png", big, written);
    }
    return written;
}

}  // namespace digit
