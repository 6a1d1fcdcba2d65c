#include "normalise.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace digit {
namespace {

// The result's geometry, as MNIST was made: the ink's longer side scaled to 20 px inside a 28x28 field.
constexpr int kDigitBox = 20;
// MNIST's strokes, measured at half their ink level as mean_stroke_width does, are 2.1-3.7 px wide at that
// scale (10th-90th percentile of the test set, median 2.7); thinner ones (pen strokes on a large photo) are
// grown to the median. Thick ones (markers, wide brushes) are left as they are: the model reads them (it is
// trained with thickness changes), and thinning them read worse on the stress suite.
constexpr float kTargetStrokeWidth = 2.7f;
// The wide field's box: 20 px high, as a digit's, and up to 48 px wide.
constexpr int kWideBox = 48;

// The soft ink's box: its bounds (ink above 0.02), or throws ImageError(empty_image).
Box ink_bounds(const Plane& crop) {
    Box b;
    for (int y = 0; y < crop.height; ++y)
        for (int x = 0; x < crop.width; ++x)
            if (crop(x, y) > 0.02f) b.include({x, y, x, y});
    if (b.empty()) throw_empty_image();
    return b;
}

// `small` pasted into a field of `field_w` x `field_h` with its centre of mass at the field's centre.
template <std::size_t N>
std::array<float, N> paste_centred(const Plane& small, int field_w, int field_h) {
    double mass = 0.0, mx = 0.0, my = 0.0;
    for (int y = 0; y < small.height; ++y) {
        for (int x = 0; x < small.width; ++x) {
            mass += small(x, y);
            mx += small(x, y) * (x + 0.5);
            my += small(x, y) * (y + 0.5);
        }
    }
    if (mass <= 1e-3) throw_empty_image();
    const int left = std::clamp(int(std::lround(field_w / 2.0 - mx / mass)), 0, field_w - small.width);
    const int top = std::clamp(int(std::lround(field_h / 2.0 - my / mass)), 0, field_h - small.height);
    std::array<float, N> result{};
    for (int y = 0; y < small.height; ++y)
        for (int x = 0; x < small.width; ++x)
            result[std::size_t(top + y) * std::size_t(field_w) + std::size_t(left + x)] =
                std::clamp(small(x, y), 0.0f, 1.0f);
    return result;
}

Plane crop_to(const Plane& crop, const Box& b) {
    Plane ink(b.width(), b.height());
    for (int y = b.y0; y <= b.y1; ++y)
        for (int x = b.x0; x <= b.x1; ++x) ink(x - b.x0, y - b.y0) = crop(x, y);
    return ink;
}

}  // namespace

Image28 centre_in_field(const Plane& crop) {
    const Plane ink = crop_to(crop, ink_bounds(crop));
    const int ink_long = std::max(ink.width, ink.height);
    const int out_w = std::max(1, int(std::lround(double(ink.width) * kDigitBox / ink_long)));
    const int out_h = std::max(1, int(std::lround(double(ink.height) * kDigitBox / ink_long)));
    return paste_centred<kImagePixels>(resize_area(ink, out_w, out_h), kImageSide, kImageSide);
}

ImageWide centre_in_wide_field(const Plane& crop) {
    const Plane ink = crop_to(crop, ink_bounds(crop));
    const double scale = std::min(double(kDigitBox) / ink.height, double(kWideBox) / ink.width);
    const int out_w = std::clamp(int(std::lround(ink.width * scale)), 1, kWideBox);
    const int out_h = std::clamp(int(std::lround(ink.height * scale)), 1, kDigitBox);
    return paste_centred<kWidePixels>(resize_area(ink, out_w, out_h), kWideSide, kImageSide);
}

Image28 normalise_digit(const InkMap& ink, const Components& components, const DigitGroup& group) {
    return centre_in_field(soft_ink(ink, components, group, Field::digit));
}

ImageWide normalise_wide(const InkMap& ink, const Components& components, const DigitGroup& group) {
    return centre_in_wide_field(soft_ink(ink, components, group, Field::wide));
}

Plane soft_ink(const InkMap& ink, const Components& components, const DigitGroup& group, Field field) {
    const int w = ink.strength.width, h = ink.strength.height;
    if (group.members.empty() || group.box.empty()) throw_empty_image();
    // A speck is not a digit: the ink must amount to at least a small dot of ~1.5% of the image's side.
    const double min_mass = std::max(1.0, 0.25 * std::pow(0.015 * std::max(w, h), 2.0));
    if (group.mass < min_mass) throw_empty_image();

    std::vector<std::uint8_t> in_group(components.list.size(), 0);
    for (int m : group.members) in_group[std::size_t(m)] = 1;
    std::vector<float> strengths;
    Plane near_digit(w, h);
    for (int y = group.box.y0; y <= group.box.y1; ++y) {
        for (int x = group.box.x0; x <= group.box.x1; ++x) {
            const int label = components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
            if (label < 0 || !in_group[std::size_t(label)]) continue;
            near_digit(x, y) = 1.0f;
            strengths.push_back(ink.strength(x, y));
        }
    }
    // Soft ink in [0,1]: strong ink saturates at 1, the anti-aliased fringe stays grey (MNIST is not binary);
    // only the surroundings of the group's components count, so other marks vanish.
    const float ink_level = std::max(percentile(strengths, 0.85), ink.high * 1.2f);
    const float ink_zero = 0.5f * ink.high;
    const Box& b = group.box;
    const int fringe = std::max(1, int(std::lround(std::max(b.width(), b.height()) / 40.0)));
    near_digit = square_extreme(near_digit, fringe, true);

    const float scale_to_box =
        field == Field::digit
            ? float(kDigitBox) / float(std::max(b.width(), b.height()))
            : std::min(float(kDigitBox) / float(b.height()), float(kWideBox) / float(b.width()));
    // The stroke's width at half its ink level, as one sees it.
    const float width_in_box =
        mean_stroke_width(member_mask(components, ink, group.members, 0.5f * ink_level)) * scale_to_box;
    int grow = 0;
    if (width_in_box > 0.0f && width_in_box < 0.75f * kTargetStrokeWidth) {
        grow = int(std::lround((kTargetStrokeWidth - width_in_box) / scale_to_box / 2.0f));
        grow = std::min(grow, std::max(b.width(), b.height()) / 10);
    }
    const int margin = fringe + grow;
    const int cx0 = std::max(0, b.x0 - margin), cy0 = std::max(0, b.y0 - margin);
    const int cx1 = std::min(w - 1, b.x1 + margin), cy1 = std::min(h - 1, b.y1 + margin);
    Plane crop(cx1 - cx0 + 1, cy1 - cy0 + 1);
    for (int y = cy0; y <= cy1; ++y) {
        for (int x = cx0; x <= cx1; ++x) {
            const int label = components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
            const bool other_mark = label >= 0 && !in_group[std::size_t(label)];
            const float level = (ink.strength(x, y) - ink_zero) / (ink_level - ink_zero);
            crop(x - cx0, y - cy0) =
                near_digit(x, y) > 0.0f && !other_mark ? std::clamp(level, 0.0f, 1.0f) : 0.0f;
        }
    }
    if (grow > 0) crop = square_extreme(crop, grow, true);
    return crop;
}

}  // namespace digit
