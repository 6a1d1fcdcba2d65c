// Each step of the recognition core on its own, on small images made here: what it must find, and the
// failure each guards against (a thick stroke taken for background, a table beside the sheet flipping the
// polarity, a faint stretch of stroke dropped, a ruled line kept, a speck or a far mark read as the digit).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "line_reader.hpp"
#include "lines.hpp"
#include "numbers.hpp"
#include "recognizer.hpp"

using digit::Box;
using digit::Plane;

namespace {

// A grey image of `background` with filled rectangles of `ink`.
Plane page(int w, int h, float background) {
    return Plane(w, h, background);
}

void fill(Plane& image, int x0, int y0, int x1, int y1, float value) {
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) image(x, y) = value;
}

int set_pixels(const digit::Mask& mask) {
    int n = 0;
    for (auto v : mask.v) n += v;
    return n;
}

// The ink of a grey image and its components, clutter marked, as the pipeline finds them.
struct Inked {
    digit::InkMap ink;
    digit::Components components;
};
Inked inked(const Plane& grey) {
    Inked found{digit::find_ink(grey), {}};
    found.components = digit::label_components(found.ink);
    digit::mark_clutter(found.components, grey.width, grey.height);
    return found;
}

// The digit groups of a grey image, as the pipeline finds them.
std::vector<digit::DigitGroup> groups_of(const Plane& grey) {
    const Inked found = inked(grey);
    return digit::group_digits(found.ink, found.components);
}

}  // namespace

TEST_CASE("polarity: dark on light, light on dark, a dark table beside the sheet, a bold digit", "[steps]") {
    Plane paper = page(200, 150, 0.9f);
    fill(paper, 90, 30, 96, 120, 0.1f);
    CHECK(digit::ink_is_darker_than_background(paper));

    Plane board = page(200, 150, 0.1f);
    fill(board, 90, 30, 96, 120, 0.95f);
    CHECK_FALSE(digit::ink_is_darker_than_background(board));

    // A dark band of table along the left and the bottom: the border is not of one level, the most common
    // grey (the sheet) still is the background.
    Plane sheet = page(200, 150, 0.85f);
    fill(sheet, 0, 0, 30, 149, 0.25f);
    fill(sheet, 0, 120, 199, 149, 0.25f);
    fill(sheet, 100, 30, 104, 100, 0.05f);
    CHECK(digit::ink_is_darker_than_background(sheet));

    // A marker stroke a third of the image wide.
    Plane bold = page(60, 60, 0.95f);
    fill(bold, 20, 5, 40, 55, 0.05f);
    CHECK(digit::ink_is_darker_than_background(bold));
}

TEST_CASE("background: shading is taken out, a stroke wider than any window stays ink", "[steps]") {
    // Paper darkening from left to right by 0.3 (signal: ink high, so paper rises), with a stroke 40 px wide.
    Plane signal(240, 180);
    for (int y = 0; y < 180; ++y)
        for (int x = 0; x < 240; ++x) signal(x, y) = 0.05f + 0.3f * float(x) / 240.0f;
    fill(signal, 100, 20, 139, 160, 0.9f);
    const Plane background = digit::estimate_background(signal);
    // Paper: the background follows the shading.
    CHECK(std::abs(background(10, 90) - signal(10, 90)) < 0.03f);
    CHECK(std::abs(background(230, 90) - signal(230, 90)) < 0.03f);
    // The middle of the wide stroke is not background.
    CHECK(signal(120, 90) - background(120, 90) > 0.5f);
}

TEST_CASE("background: a phone photo's vignetting is taken out, not read as ink", "[steps]") {
    // Paper darkening towards one corner with the square of the distance from the other (signal rises by
    // up to 0.3), a digit-sized stroke in the middle.
    Plane signal(320, 240);
    for (int y = 0; y < 240; ++y)
        for (int x = 0; x < 320; ++x) {
            const float d = std::hypot(float(x), float(y)) / std::hypot(320.0f, 240.0f);
            signal(x, y) = 0.05f + 0.3f * d * d;
        }
    fill(signal, 150, 80, 160, 160, 0.9f);
    const Plane background = digit::estimate_background(signal);
    for (const auto& [x, y] :
         std::vector<std::pair<int, int>>{{5, 5}, {315, 5}, {5, 235}, {315, 235}, {200, 200}})
        CHECK(std::abs(background(x, y) - signal(x, y)) < 0.03f);
    CHECK(signal(155, 120) - background(155, 120) > 0.5f);
}

TEST_CASE("hysteresis: faint parts attached to strong ink stay, faint marks alone go", "[steps]") {
    Plane strength(50, 20);
    fill(strength, 5, 10, 20, 10, 0.8f);    // strong
    fill(strength, 21, 10, 30, 10, 0.25f);  // faint, attached
    fill(strength, 40, 5, 45, 5, 0.25f);    // faint, alone
    const digit::Mask mask = digit::hysteresis(strength, 0.2f, 0.5f);
    CHECK(mask(25, 10) == 1);
    CHECK(mask(42, 5) == 0);
    CHECK(set_pixels(mask) == 26);
}

TEST_CASE("ruled lines go, the strokes that cross them stay whole", "[steps]") {
    digit::Mask mask(200, 100);
    for (int x = 0; x < 200; ++x) mask(x, 50) = mask(x, 51) = 1;    // a ruled line
    for (int y = 20; y < 80; ++y) mask(100, y) = mask(101, y) = 1;  // a stroke across it
    digit::remove_ruled_lines(mask);
    CHECK(mask(10, 50) == 0);
    CHECK(mask(190, 51) == 0);
    CHECK(mask(100, 50) == 1);  // the crossing
    CHECK(mask(101, 51) == 1);
}

TEST_CASE("a stroke drawn along a ruled line, as thin as the line but darker, stays", "[steps]") {
    // A ruled line two rows thick, faint, and the bar of a 7 drawn right on it, as thick but dark.
    digit::Mask mask(200, 100);
    Plane strength(200, 100);
    for (int x = 0; x < 200; ++x)
        for (int y : {50, 51}) mask(x, y) = 1, strength(x, y) = x >= 100 && x < 140 ? 0.8f : 0.15f;
    digit::Mask plain = mask;
    digit::remove_ruled_lines(mask, &strength);
    CHECK(mask(10, 50) == 0);
    CHECK(mask(190, 51) == 0);
    for (int x = 100; x < 140; x += 5) CHECK((mask(x, 50) == 1 && mask(x, 51) == 1));
    // Without the strength, the bar goes with the line.
    digit::remove_ruled_lines(plain);
    CHECK(plain(120, 50) == 0);
}

TEST_CASE("ruled lines go when the photo tilts them and faint printing breaks them", "[steps]") {
    digit::Mask mask(300, 200);
    // A line two rows thick falling 6 px across the page, with gaps, and a stroke resting on it.
    auto line_y = [](int x) { return 120 + x / 50; };
    for (int x = 0; x < 300; ++x) {
        if (x % 40 >= 34) continue;
        mask(x, line_y(x)) = mask(x, line_y(x) + 1) = 1;
    }
    for (int y = 60; y < line_y(150); ++y)
        for (int x = 148; x < 154; ++x) mask(x, y) = 1;  // a stroke ending on the line
    for (int x = 130; x < 170; ++x)
        for (int y = 60; y < 64; ++y) mask(x, y) = 1;  // a bar at the top: short, so not a line
    digit::remove_ruled_lines(mask);
    for (int x : {10, 75, 140, 220, 290}) {
        CHECK(mask(x, line_y(x)) == 0);
        CHECK(mask(x, line_y(x) + 1) == 0);
    }
    CHECK(mask(150, 100) == 1);  // the stroke stays, down to the line
    CHECK(mask(150, line_y(150) - 1) == 1);
    CHECK(mask(135, 61) == 1);  // the bar stays
}

TEST_CASE("a ruled line that tilts a little goes whole, not just the rows that run level", "[steps]") {
    // Three rows run the whole width; a fourth above them on the left third, where the line stands a little
    // higher. Taking the level rows first would leave that row behind as a dash, too short to be a line.
    digit::Mask mask(215, 112);
    for (int x = 0; x < 215; ++x)
        for (int y = x < 75 ? 99 : 100; y <= 102; ++y) mask(x, y) = 1;
    for (int y = 60; y < 100; ++y) mask(50, y) = mask(51, y) = mask(52, y) = mask(53, y) = mask(54, y) = 1;
    digit::remove_ruled_lines(mask);
    int left = 0;
    for (int y = 95; y < 110; ++y)
        for (int x = 0; x < 215; ++x) left += mask(x, y) && (x < 45 || x > 60);
    CHECK(left == 0);
    CHECK(mask(52, 80) == 1);  // the stroke ending on the line stays
}

TEST_CASE("a ruled line that crosses many strokes goes between them, the strokes stay", "[steps]") {
    // A number written on a line: ten strokes cross it, and the line is too faint to show left of them. Thin
    // along half the width, ink along 70% of it.
    digit::Mask mask(300, 100);
    for (int x = 90; x < 300; ++x) mask(x, 50) = mask(x, 51) = 1;
    for (int k = 0; k < 10; ++k)
        for (int x = 95 + 20 * k; x < 101 + 20 * k; ++x)
            for (int y = 20; y < 80; ++y) mask(x, y) = 1;
    digit::remove_ruled_lines(mask);
    int line_left = 0;
    for (int x = 90; x < 300; ++x) line_left += mask(x, 50) && ((x - 95) % 20 >= 6 || x < 95);
    CHECK(line_left == 0);
    for (int k = 0; k < 10; ++k) {
        CHECK(mask(97 + 20 * k, 50) == 1);  // each stroke whole across the line
        CHECK(mask(97 + 20 * k, 30) == 1);
    }
}

TEST_CASE("a row of bars is not a ruled line", "[steps]") {
    // The bars of "77777", level and thin, with gaps between them: under 60% of the width.
    digit::Mask mask(300, 100);
    for (int k = 0; k < 5; ++k)
        for (int x = 20 + 56 * k; x < 52 + 56 * k; ++x) mask(x, 30) = mask(x, 31) = mask(x, 32) = 1;
    const digit::Mask before = mask;
    digit::remove_ruled_lines(mask);
    CHECK(mask.v == before.v);
}

TEST_CASE("digit groups: pieces of one digit join, clutter and specks stay out, neighbours stay apart",
          "[steps]") {
    Plane grey = page(300, 200, 0.92f);
    // A "5": its bar apart from its body.
    fill(grey, 60, 40, 100, 46, 0.1f);
    fill(grey, 60, 52, 66, 100, 0.1f);
    fill(grey, 60, 96, 100, 102, 0.1f);
    fill(grey, 94, 96, 100, 150, 0.1f);
    // A "1" well apart, to its right.
    fill(grey, 200, 40, 206, 150, 0.1f);
    // A speck, and the table's edge along the bottom.
    fill(grey, 150, 20, 151, 21, 0.1f);
    fill(grey, 0, 185, 299, 199, 0.3f);
    const std::vector<digit::DigitGroup> groups = groups_of(grey);
    REQUIRE(groups.size() == 2);
    CHECK(groups[0].box.x0 <= 61);
    CHECK(groups[0].box.x1 >= 99);
    CHECK(groups[0].box.y1 >= 149);
    CHECK(groups[1].box.x0 >= 199);
    CHECK(groups[1].box.y1 <= 151);  // the table's edge is not part of the 1
    CHECK(digit::count_digits(groups) == 2);
    // The single-digit answer reads the 5 (more ink), not the 1 beside it.
    const digit::DigitGroup single = digit::single_digit(groups);
    CHECK(single.box.x1 < 150);
}

TEST_CASE(
    "orientation glyphs: the glyphs of ink turned are its glyphs turned the same way, specks tell nothing",
    "[steps]") {
    Plane grey = page(240, 160, 0.92f);
    // An "L" and a "7", each of one stroke, and a speck and a point that are too small to tell a turn.
    fill(grey, 30, 30, 37, 120, 0.1f);
    fill(grey, 30, 113, 80, 120, 0.1f);
    fill(grey, 120, 30, 180, 37, 0.1f);
    for (int y = 37; y <= 120; ++y) fill(grey, 172 - (y - 37) / 3, y, 179 - (y - 37) / 3, y, 0.1f);
    fill(grey, 210, 112, 217, 119, 0.1f);
    fill(grey, 100, 60, 101, 61, 0.1f);
    const Inked upright = inked(grey);
    const std::vector<digit::Image28> glyphs = digit::orientation_glyphs(upright.ink, upright.components);
    REQUIRE(glyphs.size() == 2);
    for (int quarter = 1; quarter < 4; ++quarter) {
        INFO("quarter turns: " << quarter);
        const digit::InkMap turned = digit::turn_ink(upright.ink, quarter, nullptr);
        digit::Components components = digit::label_components(turned);
        digit::mark_clutter(components, turned.mask.width, turned.mask.height);
        const std::vector<digit::Image28> turned_glyphs = digit::orientation_glyphs(turned, components);
        REQUIRE(turned_glyphs.size() == 2);
        // Each turned glyph is one of the upright glyphs turned (moved a pixel at most: the centre's
        // rounding).
        for (const digit::Image28& g : turned_glyphs) {
            double best = 1e9;
            for (const digit::Image28& u : glyphs) {
                const digit::Image28 expected = digit::turn_glyph(u, quarter);
                for (int dy = -1; dy <= 1; ++dy)
                    for (int dx = -1; dx <= 1; ++dx) {
                        double differ = 0.0;
                        for (int y = 0; y < 28; ++y)
                            for (int x = 0; x < 28; ++x) {
                                const int sx = x + dx, sy = y + dy;
                                const float e = sx >= 0 && sy >= 0 && sx < 28 && sy < 28
                                                    ? expected[std::size_t(sy * 28 + sx)]
                                                    : 0.0f;
                                differ += std::abs(g[std::size_t(y * 28 + x)] - e);
                            }
                        best = std::min(best, differ);
                    }
            }
            double mass = 0.0;
            for (float v : g) mass += v;
            CHECK(best < 0.35 * mass);
        }
    }
    // Four quarter turns are none.
    const digit::Image28 back =
        digit::turn_glyph(digit::turn_glyph(digit::turn_glyph(digit::turn_glyph(glyphs[0], 1), 1), 1), 1);
    CHECK(back == glyphs[0]);
}

TEST_CASE("digit groups: touching digits are counted as several, a wide single digit as one", "[steps]") {
    // "00" written touching: two rings 70 px wide and 110 high, sharing a stretch of stroke.
    Plane pair = page(320, 200, 0.92f);
    for (int x0 : {60, 124}) {
        fill(pair, x0, 40, x0 + 70, 47, 0.1f);
        fill(pair, x0, 143, x0 + 70, 150, 0.1f);
        fill(pair, x0, 40, x0 + 7, 150, 0.1f);
        fill(pair, x0 + 63, 40, x0 + 70, 150, 0.1f);
    }
    const std::vector<digit::DigitGroup> touching = groups_of(pair);
    REQUIRE(touching.size() == 1);
    CHECK(digit::count_digits(touching) == 2);
    // A "2" with a long base, as wide as high, is one digit.
    Plane two = page(320, 200, 0.92f);
    fill(two, 100, 40, 200, 47, 0.1f);
    fill(two, 193, 40, 200, 100, 0.1f);
    fill(two, 100, 93, 200, 100, 0.1f);
    fill(two, 100, 93, 107, 140, 0.1f);
    fill(two, 100, 133, 205, 140, 0.1f);
    CHECK(digit::count_digits(groups_of(two)) == 1);
}

TEST_CASE("normalise: the longer side is 20 px, the centre of mass at the centre", "[steps]") {
    Plane ink(40, 100);
    fill(ink, 10, 0, 29, 99, 1.0f);
    const digit::Image28 field = digit::centre_in_field(ink);
    int top = 28, bottom = -1, left = 28, right = -1;
    double mass = 0, mx = 0, my = 0;
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
            const float v = field[std::size_t(y * 28 + x)];
            if (v > 0.1f)
                top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x),
                right = std::max(right, x);
            mass += v, mx += v * (x + 0.5), my += v * (y + 0.5);
        }
    CHECK(bottom - top + 1 == 20);
    CHECK(right - left + 1 == 4);
    CHECK(std::abs(mx / mass - 14.0) < 0.6);
    CHECK(std::abs(my / mass - 14.0) < 0.6);
}

TEST_CASE("normalise: the wide field holds two digits 20 px high, a very wide mark 48 px wide", "[steps]") {
    // The ink's box in a 28x56 field, and its centre of mass.
    auto measure = [](const digit::ImageWide& field, int& width, int& height, double& cx, double& cy) {
        int top = 28, bottom = -1, left = 56, right = -1;
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 56; ++x) {
                const float v = field[std::size_t(y * 56 + x)];
                if (v > 0.1f)
                    top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x),
                    right = std::max(right, x);
                mass += v, mx += v * (x + 0.5), my += v * (y + 0.5);
            }
        width = right - left + 1, height = bottom - top + 1, cx = mx / mass, cy = my / mass;
    };
    int width = 0, height = 0;
    double cx = 0, cy = 0;
    Plane pair(150, 100);  // two bars as wide as high, 50 px apart
    fill(pair, 0, 0, 49, 99, 1.0f);
    fill(pair, 100, 0, 149, 99, 1.0f);
    measure(digit::centre_in_wide_field(pair), width, height, cx, cy);
    CHECK(height == 20);
    CHECK(width == 30);
    CHECK(std::abs(cx - 28.0) < 0.6);
    CHECK(std::abs(cy - 14.0) < 0.6);
    Plane line(300, 50);  // six times as wide as high: the width decides
    fill(line, 0, 0, 299, 49, 1.0f);
    measure(digit::centre_in_wide_field(line), width, height, cx, cy);
    CHECK(width == 48);
    CHECK(height == 8);
    CHECK_THROWS_AS(digit::centre_in_wide_field(Plane(10, 10)), digit::ImageError);
}

TEST_CASE("boxes map back to the uploaded image's pixels", "[steps]") {
    digit::DecodedImage decoded;
    decoded.source_width = 4000;
    decoded.source_height = 3000;
    decoded.factor = 10;
    const Box box = digit::to_source_pixels(decoded, Box{10, 20, 29, 39});
    CHECK(box.x0 == 100);
    CHECK(box.y0 == 200);
    CHECK(box.x1 == 299);
    CHECK(box.y1 == 399);
    const Box edge = digit::to_source_pixels(decoded, Box{390, 290, 399, 299});
    CHECK(edge.x1 == 3999);
    CHECK(edge.y1 == 2999);
}

namespace {

// A prediction as the classifier gives one: `digit` with `confidence`, the rest shared among the others.
digit::Prediction answer(int d, float confidence, bool is_digit = true) {
    digit::Prediction p;
    p.digit = d;
    p.confidence = confidence;
    p.probabilities.assign(10, (1.0f - confidence) / 9.0f);
    p.probabilities[std::size_t(d)] = confidence;
    p.digit_score = is_digit ? 1.0f : 0.05f;
    p.is_digit = is_digit;
    p.reason = is_digit ? digit::Rejection::none : digit::Rejection::not_a_digit;
    return p;
}

// A digit the classifier gives `confidence`, with 0.95 of the digits' share: the rest is "no digit".
digit::Prediction mostly_no_digit(int d, float confidence) {
    digit::Prediction p = answer(d, confidence);
    p.probabilities.assign(10, 0.05f / 9.0f);
    p.probabilities[std::size_t(d)] = 0.95f;
    return p;
}

// A stand-in pair reader, sure of two digits (0.99) and of which two: `pair` with 0.95.
digit::ReadPairs sure_of_pair(int pair) {
    return [pair](const std::vector<digit::ImageWide>& fields) {
        digit::PairPrediction p;
        p.two = 0.99f;
        p.best_pair = pair;
        p.pair.fill(0.05f / 99.0f);
        p.pair[std::size_t(pair)] = 0.95f;
        p.single.fill(0.1f);
        return std::vector<digit::PairPrediction>(fields.size(), p);
    };
}

// Columns of a 28x28 input that hold ink.
int ink_columns(const digit::Image28& input) {
    int n = 0;
    for (int x = 0; x < digit::kImageSide; ++x) {
        bool any = false;
        for (int y = 0; y < digit::kImageSide; ++y)
            any = any || input[std::size_t(y * digit::kImageSide + x)] > 0.2f;
        n += any;
    }
    return n;
}

}  // namespace

TEST_CASE("numbers: the pair reader's count settles a mark the cuts part, both ways", "[steps]") {
    // One mark: a stem, and a bowl beside it joined to the stem by a thin bridge at the top (a 0 written as
    // "|" and "D", or a 9 whose stem stands apart). The cuts part it at the bridge.
    Plane grey = page(120, 80, 1.0f);
    fill(grey, 30, 20, 34, 60, 0.0f);  // the stem
    fill(grey, 34, 39, 43, 41, 0.0f);  // the bridge, to the bowl's left side
    for (int y = 18; y <= 62; ++y)
        for (int x = 40; x <= 66; ++x) {
            const float r = std::hypot((x - 53.0f) / 12.0f, (y - 40.0f) / 21.0f);
            if (r >= 0.78f && r <= 1.0f) grey(x, y) = 0.0f;
        }
    const Inked found = inked(grey);
    const digit::InkMap& ink = found.ink;
    const digit::Components& components = found.components;

    // The classifier, standing in: a piece as narrow as the stem (with or without a bit of the bridge; the
    // cuts try several columns of it) reads as a 1, one as wide as the bowl as a 7, the whole as `whole`.
    auto classify_with = [](digit::Prediction whole) {
        return [whole](const std::vector<digit::Image28>& inputs) {
            std::vector<digit::Prediction> out;
            for (const digit::Image28& input : inputs) {
                const int columns = ink_columns(input);
                out.push_back(columns <= 9 ? answer(1, 0.97f) : columns <= 15 ? answer(7, 0.98f) : whole);
            }
            return out;
        };
    };
    // The pair reader, standing in: `two` the chance of two digits, then "04" with `pair`, or one digit 0
    // with `single`.
    auto pairs_with = [](float two, float pair, float single) {
        return [=](const std::vector<digit::ImageWide>& fields) {
            digit::PairPrediction p;
            p.two = two;
            p.best_pair = 4;
            p.pair.fill((1.0f - pair) / 99.0f);
            p.pair[4] = pair;
            p.single.fill((1.0f - single) / 9.0f);
            p.single[0] = single;
            return std::vector<digit::PairPrediction>(fields.size(), p);
        };
    };
    auto text = [&](const digit::Prediction& whole, float two, float pair, float single) {
        return digit::read_number(ink, components, classify_with(whole), pairs_with(two, pair, single)).text;
    };
    const digit::Prediction no_digit = answer(0, 0.05f, false), nine = answer(9, 0.99f);

    // The classifier reads no digit whole and the pieces clearly: cut, unless the pair reader is sure it
    // is one digit and which.
    CHECK(digit::read_number(ink, components, classify_with(no_digit)).text == "17");
    CHECK(text(no_digit, 0.5f, 0.5f, 0.96f) == "17");  // the pair reader unsure of the count
    CHECK(text(no_digit, 0.01f, 0.5f, 0.5f) == "17");  // sure of one, not of which
    CHECK(text(no_digit, 0.01f, 0.5f, 0.96f) == "0");  // sure of one, and that it is a 0

    // The classifier reads the whole clearly as a 9: it stays one digit unless the pair reader is sure of
    // two and of which two.
    CHECK(digit::read_number(ink, components, classify_with(nine)).text == "9");
    CHECK(text(nine, 0.97f, 0.7f, 0.1f) == "9");
    CHECK(text(nine, 0.97f, 0.95f, 0.1f) == "04");

    // The classifier reads no digit whole, nor the bowl clearly (a 7 at 0.7, though 0.95 of its share of
    // digits): left out, though the pair reader is sure it is "17". A letter's strokes read so, a "K" as a
    // 1 and a "<"; two digits are two when the classifier reads both clearly.
    auto unclear_bowl = [](const std::vector<digit::Image28>& inputs) {
        std::vector<digit::Prediction> out;
        for (const digit::Image28& input : inputs) {
            const int columns = ink_columns(input);
            const digit::Prediction seven = mostly_no_digit(7, 0.7f);
            out.push_back(columns <= 9 ? answer(1, 0.97f) : columns <= 15 ? seven : answer(0, 0.05f, false));
        }
        return out;
    };
    const digit::ReadPairs sure_of_17 = sure_of_pair(17);
    const digit::NumberReading unclear = digit::read_number(ink, components, unclear_bowl, sure_of_17);
    CHECK(unclear.text.empty());
    CHECK(unclear.ignored.size() == 1);
}

TEST_CASE(
    "numbers: a mark refused whole is two digits on the pieces' share of digits when it is as wide as two",
    "[steps]") {
    // A stem and a bowl `bowl` px wide joined by a bridge, 45 px high: 37 px wide in all with a bowl of 24
    // (narrower than high, like one sign), 61 with a bowl of 48 (as wide as two digits).
    // The stand-in classifier: the stem alone a 1, the bowl a 7 (0.1, with 0.95 of the digits' share: the
    // rest is "no digit"), the stem and the bowl together no digit, but read whole rather than cut; bits of
    // the bowl no digit. The pair reader, standing in, is sure of "17".
    auto starts_with_stem = [](const digit::Image28& input) {
        for (int x = 0; x < digit::kImageSide; ++x) {
            int rows = 0;
            for (int y = 0; y < digit::kImageSide; ++y)
                rows += input[std::size_t(y * digit::kImageSide + x)] > 0.2f;
            if (rows > 0) return rows >= 14;
        }
        return false;
    };
    auto classify = [&](const std::vector<digit::Image28>& inputs) {
        std::vector<digit::Prediction> out;
        for (const digit::Image28& input : inputs) {
            const int n = ink_columns(input);
            const bool stem = starts_with_stem(input);
            const digit::Prediction seven = mostly_no_digit(7, 0.1f);
            if (stem)
                out.push_back(n <= 9 ? answer(1, 0.97f) : answer(0, 0.2f, false));
            else
                out.push_back(n >= 10 ? seven : answer(0, 0.01f, false));
        }
        return out;
    };
    const digit::ReadPairs sure_of_17 = sure_of_pair(17);
    // The ink and components of the mark with a bowl `bowl` px wide.
    auto stem_and_bowl = [](int bowl) {
        Plane grey = page(160, 80, 1.0f);
        fill(grey, 30, 18, 34, 62, 0.0f);
        fill(grey, 34, 39, 43, 41, 0.0f);
        const float cx = 40.0f + bowl / 2.0f, rx = bowl / 2.0f;
        for (int y = 18; y <= 62; ++y)
            for (int x = 40; x <= 40 + bowl; ++x) {
                const float r = std::hypot((x - cx) / rx, (y - 40.0f) / 22.0f);
                if (r >= 0.8f && r <= 1.0f) grey(x, y) = 0.0f;
            }
        return inked(grey);
    };
    auto read = [&](int bowl) {
        const Inked m = stem_and_bowl(bowl);
        return digit::read_number(m.ink, m.components, classify, sure_of_17).text;
    };
    CHECK(read(48) == "17");
    CHECK(read(24).empty());

    // A mark as wide as two whose pieces all read as no digit is one mark left out, however much better its
    // pieces read than the whole.
    const Inked wide = stem_and_bowl(48);
    const digit::NumberReading doodle =
        digit::read_number(wide.ink, wide.components, [&](const std::vector<digit::Image28>& inputs) {
            std::vector<digit::Prediction> out;
            for (const digit::Image28& input : inputs)
                out.push_back(starts_with_stem(input) && ink_columns(input) > 9 ? answer(0, 0.01f, false)
                                                                                : answer(3, 0.5f, false));
            return out;
        });
    CHECK(doodle.text.empty());
    REQUIRE(doodle.ignored.size() == 1);
    CHECK(doodle.ignored[0].box.width() >= 55);
}

TEST_CASE("numbers: a mark the classifier refuses is a digit when it stands in a line of digits", "[steps]") {
    // Bars the stand-in classifier reads clearly as 1s, and a ring it refuses (best guess 6): the ring at
    // `x`, `rx` wide and `ry` high, its centre at `cy`; the bars 40 px high from y = 20. With `pairs`, a
    // stand-in pair reader sure of two digits, unsure that they are "04".
    auto read = [](const std::vector<int>& bars, int x, int cy, int ry, int rx = 13, bool pairs = false) {
        Plane grey = page(400, 100, 1.0f);
        for (int b : bars) fill(grey, b, 20, b + 3, 60, 0.0f);
        for (int y = 0; y < 100; ++y)
            for (int px = x; px < x + 2 * rx && px < 400; ++px) {
                const float r = std::hypot((px - x - float(rx)) / float(rx), (y - cy) / float(ry));
                if (r >= 0.75f && r <= 1.0f) grey(px, y) = 0.0f;
            }
        const Inked found = inked(grey);
        const digit::InkMap& ink = found.ink;
        const digit::Components& components = found.components;
        digit::ReadPairs read_pairs;
        if (pairs)
            read_pairs = [](const std::vector<digit::ImageWide>& fields) {
                digit::PairPrediction p;
                p.two = 0.99f;
                p.best_pair = 4;
                p.pair.fill(0.5f / 99.0f);
                p.pair[4] = 0.5f;
                p.single.fill(0.1f);
                return std::vector<digit::PairPrediction>(fields.size(), p);
            };
        return digit::read_number(
            ink, components,
            [](const std::vector<digit::Image28>& inputs) {
                std::vector<digit::Prediction> out;
                for (const digit::Image28& input : inputs)
                    out.push_back(ink_columns(input) <= 4 ? answer(1, 0.97f) : answer(6, 0.3f, false));
                return out;
            },
            read_pairs);
    };
    // Between and beside digits read clearly, level with them and as high: a digit, with the confidence
    // of its likeliest digit.
    const digit::NumberReading between = read({40, 80, 160}, 110, 40, 20);
    CHECK(between.text == "1161");
    REQUIRE(between.digits.size() == 4);
    CHECK(between.digits[2].prediction.confidence == Approx(0.3f));
    CHECK(between.ignored.empty());
    CHECK(read({40, 80}, 120, 40, 20).text == "116");
    // Left out: with one digit beside it, alone, far from the digits, much lower than them, or above them.
    CHECK(read({40}, 80, 40, 20).text == "1");
    CHECK(read({}, 80, 40, 20).text.empty());
    CHECK(read({40, 80}, 180, 40, 20).text == "11");
    CHECK(read({40, 80}, 120, 50, 9).text == "11");
    CHECK(read({40, 80}, 120, 12, 11).text == "11");
    CHECK(read({40, 80}, 120, 12, 11).ignored.size() == 1);
    // As wide as two, and two for the pair reader: in a line of digits, the pair it reads; alone, left out.
    CHECK(read({40, 80}, 120, 40, 20, 26, true).text == "1104");
    CHECK(read({40, 80}, 120, 40, 20, 26, false).text == "116");
    CHECK(read({}, 80, 40, 20, 26, true).text.empty());
}

TEST_CASE("text prior: a distribution in every context, what it was fitted on likelier, nothing ruled out",
          "[steps][prior]") {
    const std::string alphabet = "0123456789.,-/:";
    std::vector<std::string> texts;
    for (int d = 1; d <= 28; ++d)
        for (int m = 1; m <= 12; ++m)
            texts.push_back(std::to_string(d / 10) + std::to_string(d % 10) + "/" + std::to_string(m / 10) +
                            std::to_string(m % 10));
    for (int i = 0; i < 200; ++i) texts.push_back(std::to_string(1000 + 37 * i));
    const digit::TextPrior prior = digit::TextPrior::fit(texts, alphabet, 4);
    REQUIRE(prior.order() == 4);
    const cnn::Tensor& table = prior.table();
    REQUIRE(table.w() == int(alphabet.size()) + 1);
    for (int h = 0; h < table.h(); ++h) {
        double sum = 0.0;
        for (int w = 0; w < table.w(); ++w) sum += std::exp(double(table.at(0, 0, h, w)));
        INFO("context " << h);
        CHECK(sum == Approx(1.0).epsilon(1e-5));
    }
    // A date's slash rather than a 1, the digits of a date rather than an end after its slash.
    CHECK(prior.log_probability("12/05") > prior.log_probability("12105"));
    CHECK(prior.log_probability("12/05") > prior.log_probability("12/"));
    // Never seen, still possible.
    CHECK(std::isfinite(prior.log_probability(":.-,")));
    CHECK(prior.log_probability("12a") == -std::numeric_limits<double>::infinity());
    // The labels' view is the text's: next() over the characters plus end() is log_probability().
    std::vector<int> labels;
    double total = 0.0;
    for (char ch : std::string("3.14")) {
        const int label = int(alphabet.find(ch)) + 1;
        total += prior.next(labels, label);
        labels.push_back(label);
    }
    CHECK(total + prior.end(labels) == Approx(prior.log_probability("3.14")));
    // Stored and read back, the same; a table of the wrong shape or with a positive entry is refused.
    const digit::TextPrior back = digit::TextPrior::from_table(table, alphabet, 4);
    CHECK(back.log_probability("12/05") == Approx(prior.log_probability("12/05")));
    CHECK_THROWS(digit::TextPrior::from_table(table, alphabet, 3));
    cnn::Tensor bad = table;
    bad.data()[7] = 0.5f;
    CHECK_THROWS(digit::TextPrior::from_table(bad, alphabet, 4));
    CHECK_THROWS(digit::TextPrior::fit({"12a"}, alphabet, 3));
    CHECK_THROWS(digit::TextPrior::fit(texts, alphabet, 0));
}
