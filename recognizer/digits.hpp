// Step 3: ink map -> digit-like groups with their boxes. The ink's connected components; clutter left out
// (the paper's edge, a shadow along the border, ruled lines, specks); the pieces of one digit (the bar of a
// 5 or a 7, a 4 written in two strokes, a stroke broken by faint ink) merged into one group. Every group is
// returned, left to right; the single-digit answer picks one of them.
#pragma once

#include <cstddef>
#include <vector>

#include "image.hpp"
#include "ink.hpp"

namespace digit {

struct Component {
    int area = 0;
    double mass = 0.0;  // sum of ink strength
    Box box;
    int border_contact[4] = {0, 0, 0, 0};  // pixels on the left, right, top, bottom edges
    bool clutter = false;
};

struct Components {
    std::vector<int> labels;  // per pixel: index into `list`, or -1
    std::vector<Component> list;
};

struct DigitGroup {
    Box box;
    std::vector<int> members;  // component indices
    double mass = 0.0;
    int area = 0;
};

// Labels the 8-connected components of the mask.
Components label_components(const InkMap& ink);
// Not ink of a digit: long contact with the border, a line across the image, or a speck next to the ink.
void mark_clutter(Components& components, int width, int height);
// The pixels of the given components whose ink strength is at least `min_strength`.
Mask member_mask(const Components& components, const InkMap& ink, const std::vector<int>& members,
                 float min_strength = 0.0f);
// The digit-like groups, ordered left to right.
std::vector<DigitGroup> group_digits(const InkMap& ink, const Components& components);
// Index of the group with the most ink.
std::size_t main_group(const std::vector<DigitGroup>& groups);
// What a single-digit answer reads: the main group, with the small groups close to it that are pieces of
// the same digit rather than digits of their own.
DigitGroup single_digit(const std::vector<DigitGroup>& groups);
// How many digits the image seems to hold (for "this image holds N digits"): the groups that look like
// digits of their own beside the main one, a group as wide as several touching digits counted as several.
int count_digits(const std::vector<DigitGroup>& groups);
// The groups count_digits counts as two touching digits (a wide single digit may be one of them).
std::vector<std::size_t> groups_counted_as_two(const std::vector<DigitGroup>& groups);

}  // namespace digit
