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

}  // namespace

Image28 centre_in_field(const Plane& crop) {
    int bx0 = crop.width, by0 = crop.height, bx1 = -1, by1 = -1;
    for (int y = 0; y < crop.height; ++y) {
        for (int x = 0; x < crop.width; ++x) {
            if (crop(x, y) <= 0.02f) continue;
            bx0 = std::min(bx0, x), by0 = std::min(by0, y), bx1 = std::max(bx1, x), by1 = std::max(by1, y);
        }
    }
    if (bx1 < 0) throw_empty_image();
    Plane ink(bx1 - bx0 + 1, by1 - by0 + 1);
    for (int y = by0; y <= by1; ++y)
        for (int x = bx0; x <= bx1; ++x) ink(x - bx0, y - by0) = crop(x, y);
    const int ink_long = std::max(ink.width, ink.height);
    const int out_w = std::max(1, int(std::lround(double(ink.width) * kDigitBox / ink_long)));
    const int out_h = std::max(1, int(std::lround(double(ink.height) * kDigitBox / ink_long)));
    const Plane small = resize_area(ink, out_w, out_h);

    double mass = 0.0, mx = 0.0, my = 0.0;
    for (int y = 0; y < out_h; ++y) {
        for (int x = 0; x < out_w; ++x) {
            mass += small(x, y);
            mx += small(x, y) * (x + 0.5);
            my += small(x, y) * (y + 0.5);
        }
    }
    if (mass <= 1e-3) throw_empty_image();
    const int left = std::clamp(int(std::lround(kImageSide / 2.0 - mx / mass)), 0, kImageSide - out_w);
    const int top = std::clamp(int(std::lround(kImageSide / 2.0 - my / mass)), 0, kImageSide - out_h);
    Image28 result{};
    for (int y = 0; y < out_h; ++y)
        for (int x = 0; x < out_w; ++x)
            result[std::size_t(top + y) * kImageSide + std::size_t(left + x)] =
                std::clamp(small(x, y), 0.0f, 1.0f);
    return result;
}

Image28 normalise_digit(const InkMap& ink, const Components& components, const DigitGroup& group) {
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

    const float scale_to_box = float(kDigitBox) / float(std::max(b.width(), b.height()));
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
    return centre_in_field(crop);
}

}  // namespace digit
