#include "digits.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

namespace digit {
namespace {

int gap_between(int a0, int a1, int b0, int b1) {
    return std::max({0, b0 - a1, a0 - b1});
}

int box_gap(const Box& a, const Box& b) {
    return std::max(gap_between(a.x0, a.x1, b.x0, b.x1), gap_between(a.y0, a.y1, b.y0, b.y1));
}

int overlap(int a0, int a1, int b0, int b1) {
    return std::max(0, std::min(a1, b1) - std::max(a0, b0) + 1);
}

int find_root(std::vector<int>& parent, int i) {
    while (parent[std::size_t(i)] != i)
        i = parent[std::size_t(i)] = parent[std::size_t(parent[std::size_t(i)])];
    return i;
}

}  // namespace

Components label_components(const InkMap& ink) {
    const int w = ink.mask.width, h = ink.mask.height;
    Components result;
    result.labels.assign(ink.mask.v.size(), -1);
    std::vector<int> stack;
    for (int start = 0; start < w * h; ++start) {
        if (!ink.mask.v[std::size_t(start)] || result.labels[std::size_t(start)] >= 0) continue;
        const int id = int(result.list.size());
        result.list.emplace_back();
        Component& c = result.list.back();
        c.box = {INT_MAX, INT_MAX, -1, -1};
        stack.assign(1, start);
        result.labels[std::size_t(start)] = id;
        while (!stack.empty()) {
            const int i = stack.back();
            stack.pop_back();
            const int x = i % w, y = i / w;
            const float s = ink.strength.v[std::size_t(i)];
            c.area += 1;
            c.mass += s;
            c.box.x0 = std::min(c.box.x0, x), c.box.x1 = std::max(c.box.x1, x);
            c.box.y0 = std::min(c.box.y0, y), c.box.y1 = std::max(c.box.y1, y);
            c.border_contact[0] += x == 0;
            c.border_contact[1] += x == w - 1;
            c.border_contact[2] += y == 0;
            c.border_contact[3] += y == h - 1;
            for (int dy = -1; dy <= 1; ++dy) {
                for (int dx = -1; dx <= 1; ++dx) {
                    const int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    const int j = ny * w + nx;
                    if (ink.mask.v[std::size_t(j)] && result.labels[std::size_t(j)] < 0) {
                        result.labels[std::size_t(j)] = id;
                        stack.push_back(j);
                    }
                }
            }
        }
    }
    return result;
}

void mark_clutter(Components& components, int w, int h) {
    double largest = 0.0;
    for (Component& c : components.list) {
        // The paper's edge, the table, a shadow along the border: long contact with an edge of the image.
        const bool long_border_contact = c.border_contact[0] > h / 4 || c.border_contact[1] > h / 4 ||
                                         c.border_contact[2] > w / 4 || c.border_contact[3] > w / 4;
        // A frame around the whole picture.
        const bool frame = c.box.width() >= w * 0.95 && c.box.height() >= h * 0.95 && c.area < 0.3 * w * h;
        // A ruled line, the edge of a sheet or a shadow's rim: far longer than high, and long on the page.
        const bool ruled_line = (c.box.width() >= w * 0.85 && c.box.height() <= h * 0.08) ||
                                (c.box.width() >= w * 0.3 && c.box.width() >= 8 * c.box.height());
        const bool vertical_rule = c.box.height() >= h * 0.85 && c.box.width() <= w * 0.03;
        c.clutter = long_border_contact || frame || ruled_line || vertical_rule;
        if (!c.clutter) largest = std::max(largest, c.mass);
    }
    if (largest == 0.0) {  // nothing but clutter: better to look at it than to call the image blank
        for (Component& c : components.list) c.clutter = false;
        for (const Component& c : components.list) largest = std::max(largest, c.mass);
    }
    // Specks: a dot of a few pixels beside a digit's strokes.
    const double min_mass = std::max(0.01 * largest, 0.25 * std::pow(0.01 * std::max(w, h), 2.0));
    for (Component& c : components.list)
        if (c.mass < min_mass) c.clutter = true;
}

Mask member_mask(const Components& components, const InkMap& ink, const std::vector<int>& members,
                 float min_strength) {
    Mask mask(ink.mask.width, ink.mask.height);
    std::vector<std::uint8_t> in_group(components.list.size(), 0);
    for (int m : members) in_group[std::size_t(m)] = 1;
    for (std::size_t i = 0; i < mask.v.size(); ++i) {
        const int label = components.labels[i];
        mask.v[i] = label >= 0 && in_group[std::size_t(label)] && ink.strength.v[i] >= min_strength;
    }
    return mask;
}

std::vector<DigitGroup> group_digits(const InkMap& ink, const Components& components) {
    std::vector<int> kept;
    for (int i = 0; i < int(components.list.size()); ++i)
        if (!components.list[std::size_t(i)].clutter) kept.push_back(i);
    // Pieces of one digit: components whose boxes nearly touch, or that stand one above the other (the bar
    // of a 5 over its body, the dot-like top of a broken 7).
    std::vector<int> parent(components.list.size());
    std::iota(parent.begin(), parent.end(), 0);
    const float stroke = mean_stroke_width(member_mask(components, ink, kept));
    for (bool merged = true; merged;) {
        merged = false;
        std::vector<Box> boxes(components.list.size());
        for (int i : kept)
            boxes[std::size_t(find_root(parent, i))].include(components.list[std::size_t(i)].box);
        for (std::size_t a = 0; a < kept.size(); ++a) {
            for (std::size_t b = a + 1; b < kept.size(); ++b) {
                const int ra = find_root(parent, kept[a]), rb = find_root(parent, kept[b]);
                if (ra == rb) continue;
                const Box &A = boxes[std::size_t(ra)], &B = boxes[std::size_t(rb)];
                const int tall = std::max(A.height(), B.height());
                const int narrow = std::min(A.width(), B.width());
                const int gap = box_gap(A, B);
                const bool touching = gap <= std::max(1.5f * stroke, 0.08f * tall);
                const bool stacked = overlap(A.x0, A.x1, B.x0, B.x1) >= 0.5 * narrow &&
                                     gap_between(A.y0, A.y1, B.y0, B.y1) <= 0.5 * tall;
                if (!touching && !stacked) continue;
                parent[std::size_t(rb)] = ra;
                boxes[std::size_t(ra)].include(B);
                merged = true;
            }
        }
    }
    std::vector<DigitGroup> groups;
    std::vector<int> group_of(components.list.size(), -1);
    for (int i : kept) {
        const int root = find_root(parent, i);
        if (group_of[std::size_t(root)] < 0) {
            group_of[std::size_t(root)] = int(groups.size());
            groups.emplace_back();
        }
        DigitGroup& g = groups[std::size_t(group_of[std::size_t(root)])];
        const Component& c = components.list[std::size_t(i)];
        g.members.push_back(i);
        g.box.include(c.box);
        g.mass += c.mass;
        g.area += c.area;
    }
    std::sort(groups.begin(), groups.end(), [](const DigitGroup& a, const DigitGroup& b) {
        return a.box.x0 + a.box.x1 < b.box.x0 + b.box.x1;
    });
    return groups;
}

std::size_t main_group(const std::vector<DigitGroup>& groups) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < groups.size(); ++i)
        if (groups[i].mass > groups[best].mass) best = i;
    return best;
}

DigitGroup single_digit(const std::vector<DigitGroup>& groups) {
    if (groups.empty()) return {};
    const std::size_t main = main_group(groups);
    DigitGroup result = groups[main];
    const double main_mass = result.mass;
    std::vector<std::uint8_t> taken(groups.size(), 0);
    taken[main] = 1;
    for (bool grew = true; grew;) {
        grew = false;
        const int size = std::max(result.box.width(), result.box.height());
        for (std::size_t i = 0; i < groups.size(); ++i) {
            const DigitGroup& g = groups[i];
            if (taken[i]) continue;
            // A piece close by (the hook of a 5 whose bar came apart), or a larger part not far away.
            const int gap = box_gap(result.box, g.box);
            const bool close_piece = gap <= 0.15 * size && g.mass >= 0.01 * main_mass;
            const bool nearby_part = gap <= 0.5 * size && g.mass >= 0.08 * main_mass && g.mass < main_mass;
            if (!close_piece && !nearby_part) continue;
            taken[i] = 1;
            result.members.insert(result.members.end(), g.members.begin(), g.members.end());
            result.box.include(g.box);
            result.mass += g.mass;
            result.area += g.area;
            grew = true;
        }
    }
    return result;
}

namespace {

// How many digits a group counts as beside the main one: 0 (a speck, a dash), 1, or for a group far wider
// than a digit (digits written touching) about one per 0.7 of its height.
int digits_in_group(const DigitGroup& g, const DigitGroup& main) {
    if (g.mass < 0.2 * main.mass || g.box.height() < 0.4 * main.box.height()) return 0;
    const double aspect = double(g.box.width()) / std::max(1, g.box.height());
    return aspect >= 1.15 ? std::max(2, int(std::lround(aspect / 0.7))) : 1;
}

}  // namespace

int count_digits(const std::vector<DigitGroup>& groups) {
    if (groups.empty()) return 0;
    const DigitGroup& main = groups[main_group(groups)];
    int count = 0;
    for (const DigitGroup& g : groups) count += digits_in_group(g, main);
    return count;
}

std::vector<std::size_t> groups_counted_as_two(const std::vector<DigitGroup>& groups) {
    std::vector<std::size_t> two;
    if (groups.empty()) return two;
    const DigitGroup& main = groups[main_group(groups)];
    for (std::size_t i = 0; i < groups.size(); ++i)
        if (digits_in_group(groups[i], main) == 2) two.push_back(i);
    return two;
}

}  // namespace digit
