// libFuzzer target: any bytes through the image pipeline (format sniffing, stb_image's PNG/JPEG/BMP/GIF
// decoders, the EXIF and JPEG-structure readers, the ink search) and through the reading of a whole number
// (cuts, pieces, joins), with a stand-in classifier whose answers follow the pieces' ink, so that every way
// of choosing among cuts is taken. Only digit::ImageError may come out.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "numbers.hpp"
#include "recognizer.hpp"

namespace {

// Answers that depend on the piece: a digit from its ink, and a confidence from low to high; some pieces are
// "not a digit".
std::vector<digit::Prediction> stand_in(const std::vector<digit::Image28>& inputs) {
    std::vector<digit::Prediction> out;
    for (const digit::Image28& image : inputs) {
        float sum = 0.0f;
        for (std::size_t i = 0; i < image.size(); ++i) sum += image[i] * float(i % 7 + 1);
        digit::Prediction p;
        const unsigned bucket = unsigned(sum * 16.0f);
        p.digit = int(bucket % 10);
        p.confidence = float(bucket % 97) / 96.0f;
        p.probabilities.assign(10, (1.0f - p.confidence) / 9.0f);
        p.probabilities[std::size_t(p.digit)] = p.confidence;
        p.is_digit = bucket % 5 != 0;
        p.reason = p.is_digit ? digit::Rejection::none : digit::Rejection::not_a_digit;
        out.push_back(p);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    digit::DecodeOptions options;
    options.max_pixels = 4'000'000;  // keeps each run fast; the limit's own logic is the same at any value
    try {
        digit::Trace trace;
        const digit::SingleDigitInput input =
            digit::prepare_digit(digit::decode_image(data, size, options), &trace);
        for (float v : input.image)
            if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();  // the network's input must stay in [0,1]
        const digit::NumberReading reading = digit::read_number(trace.ink, trace.components, stand_in);
        const int w = trace.ink.strength.width, h = trace.ink.strength.height;
        for (const digit::ReadDigit& d : reading.digits) {
            if (d.box.x0 < 0 || d.box.y0 < 0 || d.box.x1 >= w || d.box.y1 >= h) __builtin_trap();
            for (float v : d.input)
                if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();
        }
        if (reading.text.size() != reading.digits.size()) __builtin_trap();
    } catch (const digit::ImageError&) {
    }
    return 0;
}
