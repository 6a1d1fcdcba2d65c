#include "uploads.hpp"

#include <algorithm>
#include <random>
#include <utility>

#include "recognizer.hpp"
#include "synth/strokes.hpp"
#include "synth/styles.hpp"
#include "synth/surfaces.hpp"

namespace digit {

DecodedImage decoded_as_upload(const GreyImage& grey) {
    DecodedImage decoded;
    // As decoding does: whole-pixel area reduction to the working side.
    const int longest = std::max(grey.width, grey.height), side = DecodeOptions{}.working_side;
    decoded.factor = (longest + side - 1) / side;
    decoded.grey = decoded.factor > 1 ? resize_area(grey, (grey.width + decoded.factor - 1) / decoded.factor,
                                                    (grey.height + decoded.factor - 1) / decoded.factor)
                                      : grey;
    decoded.source_width = grey.width;
    decoded.source_height = grey.height;
    return decoded;
}

std::optional<Image28> model_input(const GreyImage& grey) {
    try {
        return prepare_digit(decoded_as_upload(grey)).image;
    } catch (const ImageError&) {
        return std::nullopt;
    }
}

LabelledImages digits_as_uploads(const LabelledImages& digits, std::uint32_t seed, float in_context,
                                 float restroked) {
    std::mt19937 rng(seed);
    LabelledImages out;
    out.rows = out.cols = kImageSide;
    out.images_path = digits.images_path + " (drawn as uploads)";
    for (size_t i = 0; i < digits.count; ++i) {
        const int side = 56 + pick(rng, 170);
        Coverage c = in_context > 0.0f && uniform(rng, 0, 1) < in_context
                         ? digit_in_context(digits, i, side, rng)
                         : enlarge(digits.image(i), digits.rows, digits.cols, side, 0.15f);
        c = maybe_restroke(std::move(c), float(side), restroked, rng);
        GreyImage grey = put_on_surface(c, random_surface(rng), rng);
        std::optional<Image28> input = model_input(grey);
        if (!input) continue;
        out.pixels.insert(out.pixels.end(), input->begin(), input->end());
        out.labels.push_back(digits.labels[i]);
        ++out.count;
    }
    out.num_classes = digits.num_classes;
    return out;
}

std::optional<Image28> styled_digit_as_upload(std::size_t style, std::mt19937& rng) {
    const int height = 40 + pick(rng, 180);
    Coverage c = maybe_break_stroke(draw_styled_digit(style, height, rng), float(height), 0.1f, rng);
    return model_input(put_on_surface(c, random_surface(rng), rng));
}

LabelledImages styled_digits_as_uploads(std::size_t count, std::uint32_t seed) {
    std::mt19937 rng(seed);
    LabelledImages out;
    out.rows = out.cols = kImageSide;
    out.num_classes = 10;
    out.images_path = "digits in the styles people write (drawn as uploads)";
    const std::vector<DigitStyle>& styles = digit_styles();
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t style = i % styles.size();
        const std::optional<Image28> input = styled_digit_as_upload(style, rng);
        if (!input) continue;
        out.pixels.insert(out.pixels.end(), input->begin(), input->end());
        out.labels.push_back(styles[style].digit);
        ++out.count;
    }
    return out;
}

}  // namespace digit
