#include "recognizer.hpp"

#include <algorithm>
#include <utility>

namespace digit {

Box to_source_pixels(const DecodedImage& decoded, const Box& box) {
    if (box.empty()) return box;
    const int f = decoded.factor;
    return {box.x0 * f, box.y0 * f, std::min(decoded.source_width - 1, (box.x1 + 1) * f - 1),
            std::min(decoded.source_height - 1, (box.y1 + 1) * f - 1)};
}

void find_digit_groups(DecodedImage decoded, Trace& t) {
    t.decoded = std::move(decoded);
    t.ink = find_ink(t.decoded.grey);
    t.components = label_components(t.ink);
    mark_clutter(t.components, t.decoded.grey.width, t.decoded.grey.height);
    t.groups = group_digits(t.ink, t.components);
    if (t.groups.empty()) throw_empty_image();
}

SingleDigitInput prepare_digit(DecodedImage decoded, Trace* trace) {
    Trace local;
    Trace& t = trace ? *trace : local;
    find_digit_groups(std::move(decoded), t);
    t.chosen = single_digit(t.groups);
    SingleDigitInput result;
    result.image = normalise_digit(t.ink, t.components, t.chosen);
    result.box = to_source_pixels(t.decoded, t.chosen.box);
    result.digit_count = count_digits(t.groups);
    for (std::size_t i : groups_counted_as_two(t.groups)) {
        try {
            result.counted_as_two.push_back(normalise_wide(t.ink, t.components, t.groups[i]));
        } catch (const ImageError&) {
        }
    }
    return result;
}

SingleDigitInput prepare_digit(const void* data, std::size_t size, const DecodeOptions& options,
                               Trace* trace) {
    return prepare_digit(decode_image(data, size, options), trace);
}

Image28 preprocess_image(const void* data, std::size_t size, const DecodeOptions& options) {
    return prepare_digit(data, size, options).image;
}

}  // namespace digit
