// libFuzzer target: any bytes through the image pipeline (format sniffing, stb_image's PNG/JPEG/BMP/GIF
// decoders, the EXIF and JPEG-structure readers, the ink search). Only digit::ImageError may come out.
#include <cstddef>
#include <cstdint>

#include "recognizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digit::DecodeOptions options;
    options.max_pixels = 4'000'000;  // keeps each run fast; the limit's own logic is the same at any value
    try {
        const digit::Image28 image = digit::preprocess_image(data, size, options);
        for (float v : image)
            if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();  // the network's input must stay in [0,1]
    } catch (const digit::ImageError&) {
    }
    return 0;
}
