#include "numbers.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

#include "normalise.hpp"

namespace digit {
namespace {

// A piece of a stacked pair overlaps the other's columns by this fraction of the narrower width.
constexpr double kStackedOverlap = 0.6;
// ... and is shorter than this fraction of the taller (two full-height marks side by side are two digits).
constexpr double kPieceHeight = 0.75;
// ... and the gap between them is at most this fraction of the taller.
constexpr double kStackedGap = 0.3;
// Marks lower than this fraction of the line's height are pieces of the digit next to them, or not digits.
constexpr double kSmallMark = 0.4;
// Marks lower than this fraction of the line's height are parts of a digit when this close beside one.
constexpr double kPartHeight = 0.7, kPartGap = 0.15;
// A small mark this close to a digit (fraction of the line's height) is a piece of it.
constexpr double kPieceGap = 0.25;
// A flat mark no lower than this fraction of a digit's height below its top may be its bar.
constexpr double kBarDepth = 0.25;
// Groups at least this wide (fraction of the line's height) may be several digits; they are cut when at
// least kCutWidth of their own height wide, or when read whole with less than kCutConfidence.
constexpr double kTryCutWidth = 0.45;
constexpr double kCutWidth = 1.0;
constexpr float kCutConfidence = 0.9f;
// A mark that reads as no digit whole is read as digits only when it parts into pieces each this sure.
constexpr float kPartedConfidence = 0.8f;
// Neighbours at most this far apart (fraction of the line's height) may be two strokes of one digit.
constexpr double kJoinGap = 0.1;
// The pieces of a cut group are digits of the same line: each at least this fraction of the group's height.
constexpr double kMinPieceHeight = 0.6;
// Pieces of a cut group are this wide at least and at most (fractions of the group's height).
constexpr double kMinPieceWidth = 0.1, kMaxPieceWidth = 1.4;
// At most this many candidate cuts per group, the deepest valleys first.
constexpr std::size_t kMaxCuts = 10;
// A cut path strays at most this fraction of the group's height from the valley it starts at; straying
// costs a little, and so does each column it steps sideways (per row), against 1 for each stroke cut.
constexpr double kCutReach = 0.25, kDrift = 0.02, kStep = 0.04;

struct Unit {
    std::vector<int> members;
    Box box;
    double mass = 0.0;
};

int find_root(std::vector<int>& parent, int i) {
    while (parent[std::size_t(i)] != i)
        i = parent[std::size_t(i)] = parent[std::size_t(parent[std::size_t(i)])];
    return i;
}

int gap_between(int a0, int a1, int b0, int b1) {
    return std::max({0, b0 - a1, a0 - b1});
}

int overlap(int a0, int a1, int b0, int b1) {
    return std::max(0, std::min(a1, b1) - std::max(a0, b0) + 1);
}

// Components -> units: the pieces of one digit that stand one above the other merged.
std::vector<Unit> stacked_units(const Components& components) {
    std::vector<int> kept;
    for (int i = 0; i < int(components.list.size()); ++i)
        if (!components.list[std::size_t(i)].clutter) kept.push_back(i);
    std::vector<int> parent(components.list.size());
    std::iota(parent.begin(), parent.end(), 0);
    for (bool merged = true; merged;) {
        merged = false;
        std::vector<Box> boxes(components.list.size());
        for (int i : kept)
            boxes[std::size_t(find_root(parent, i))].include(components.list[std::size_t(i)].box);
        for (std::size_t a = 0; a < kept.size() && !merged; ++a) {
            for (std::size_t b = a + 1; b < kept.size() && !merged; ++b) {
                const int ra = find_root(parent, kept[a]), rb = find_root(parent, kept[b]);
                if (ra == rb) continue;
                const Box &A = boxes[std::size_t(ra)], &B = boxes[std::size_t(rb)];
                const int narrow = std::min(A.width(), B.width());
                const bool stacked = overlap(A.x0, A.x1, B.x0, B.x1) >= kStackedOverlap * narrow;
                const bool piece =
                    std::min(A.height(), B.height()) < kPieceHeight * std::max(A.height(), B.height());
                // ... and near: a speck far under a digit is not a piece of it.
                const bool near =
                    gap_between(A.y0, A.y1, B.y0, B.y1) <= kStackedGap * std::max(A.height(), B.height());
                if (!stacked || !piece || !near) continue;
                parent[std::size_t(rb)] = ra;
                merged = true;
            }
        }
    }
    std::vector<Unit> units;
    std::vector<int> unit_of(components.list.size(), -1);
    for (int i : kept) {
        const int root = find_root(parent, i);
        if (unit_of[std::size_t(root)] < 0) {
            unit_of[std::size_t(root)] = int(units.size());
            units.emplace_back();
        }
        Unit& u = units[std::size_t(unit_of[std::size_t(root)])];
        u.members.push_back(i);
        u.box.include(components.list[std::size_t(i)].box);
        u.mass += components.list[std::size_t(i)].mass;
    }
    return units;
}

// The height of the line's digits: the median height of the marks at least half as high as the highest.
int line_height(const std::vector<Unit>& units) {
    int highest = 0;
    for (const Unit& u : units) highest = std::max(highest, u.box.height());
    std::vector<int> heights;
    for (const Unit& u : units)
        if (2 * u.box.height() >= highest) heights.push_back(u.box.height());
    std::nth_element(heights.begin(), heights.begin() + std::ptrdiff_t(heights.size() / 2), heights.end());
    return heights[heights.size() / 2];
}

// Small marks join the digit next to them, or are left out (a dash, a dot). Parts of a digit (lower than
// the line's digits, but not small: the corner of a 4 written in two strokes) join a digit close beside them,
// or stand as digits of their own.
std::vector<Unit> attach_small_marks(std::vector<Unit> units, int height) {
    std::vector<Unit> digits, parts, small;
    for (Unit& u : units) {
        const int h = u.box.height();
        (h < kSmallMark * height ? small : h < kPartHeight * height ? parts : digits).push_back(std::move(u));
    }
    for (Unit& p : parts) {
        int best = -1, best_gap = INT_MAX;
        for (std::size_t d = 0; d < digits.size(); ++d) {
            const Box& b = digits[d].box;
            const int gap = gap_between(p.box.x0, p.box.x1, b.x0, b.x1);
            if (overlap(p.box.y0, p.box.y1, b.y0, b.y1) > 0 && gap < best_gap) best_gap = gap, best = int(d);
        }
        if (best < 0 || best_gap > kPartGap * height) {
            digits.push_back(std::move(p));
            continue;
        }
        Unit& d = digits[std::size_t(best)];
        d.members.insert(d.members.end(), p.members.begin(), p.members.end());
        d.box.include(p.box);
        d.mass += p.mass;
    }
    for (const Unit& s : small) {
        int best = -1, best_gap = INT_MAX;
        for (std::size_t d = 0; d < digits.size(); ++d) {
            const Box& b = digits[d].box;
            const int gap = std::max(gap_between(s.box.x0, s.box.x1, b.x0, b.x1),
                                     gap_between(s.box.y0, s.box.y1, b.y0, b.y1));
            if (gap < best_gap) best_gap = gap, best = int(d);
        }
        if (best < 0 || best_gap > kPieceGap * height) continue;
        // A long flat mark beside a digit rather than over or under it is a piece of a ruled line or a dash;
        // one at the height of the digit's top that reaches over it is the bar of a 5 or a 7 come apart.
        const Box& b = digits[std::size_t(best)].box;
        const bool flat = s.box.width() >= kSmallMark * height;
        const int over = overlap(s.box.x0, s.box.x1, b.x0, b.x1);
        const bool bar = over > 0 && s.box.y1 <= b.y0 + kBarDepth * b.height();
        if (flat && over < 0.5 * s.box.width() && !bar) continue;
        Unit& d = digits[std::size_t(best)];
        d.members.insert(d.members.end(), s.members.begin(), s.members.end());
        d.box.include(s.box);
        d.mass += s.mass;
    }
    std::sort(digits.begin(), digits.end(),
              [](const Unit& a, const Unit& b) { return a.box.x0 + a.box.x1 < b.box.x0 + b.box.x1; });
    return digits;
}

// Candidate cuts of a unit: columns at the bottom of valleys of its ink profile, away from its edges.
std::vector<int> candidate_columns(const Mask& unit_ink, const Box& b) {
    std::vector<double> profile(std::size_t(b.width()), 0.0);
    for (int y = 0; y < b.height(); ++y)
        for (int x = 0; x < b.width(); ++x) profile[std::size_t(x)] += unit_ink(x, y);
    const int smooth = std::max(1, b.height() / 40);
    std::vector<double> smoothed(profile.size(), 0.0);
    for (int x = 0; x < int(profile.size()); ++x) {
        double sum = 0.0;
        int n = 0;
        for (int dx = -smooth; dx <= smooth; ++dx)
            if (x + dx >= 0 && x + dx < int(profile.size())) sum += profile[std::size_t(x + dx)], ++n;
        smoothed[std::size_t(x)] = sum / n;
    }
    const int edge = std::max(2, int(kMinPieceWidth * b.height()));
    const int window = std::max(2, b.height() / 12);
    std::vector<std::pair<double, int>> valleys;
    for (int x = edge; x < int(smoothed.size()) - edge; ++x) {
        bool lowest = true;
        for (int dx = -window; dx <= window && lowest; ++dx) {
            const int at = x + dx;
            if (at < 0 || at >= int(smoothed.size()) || dx == 0) continue;
            lowest = smoothed[std::size_t(x)] < smoothed[std::size_t(at)] ||
                     (smoothed[std::size_t(x)] == smoothed[std::size_t(at)] && dx > 0);
        }
        if (lowest) valleys.push_back({smoothed[std::size_t(x)], x});
    }
    std::sort(valleys.begin(), valleys.end());
    if (valleys.size() > kMaxCuts) valleys.resize(kMaxCuts);
    std::vector<int> columns;
    for (const auto& v : valleys) columns.push_back(v.second);
    std::sort(columns.begin(), columns.end());
    return columns;
}

// The path of least ink from the top of a unit to its bottom, starting from a column: it may bend round a
// stroke of a neighbour that leans over (overlapping digits, which no straight cut parts), and crosses ink
// only where the digits touch. Columns are the unit's (0 = its left edge).
Cut cut_path(const Mask& unit_ink, int y0, int column) {
    const int w = unit_ink.width, h = unit_ink.height;
    const int reach = std::max(2, int(kCutReach * h));
    const int lo = std::max(1, column - reach), hi = std::min(w - 1, column + reach);
    const int span = hi - lo + 1;
    // cost of a cut just left of column x in row y: ink on both sides of it is a stroke cut through.
    auto crossing = [&](int x, int y) {
        return unit_ink(x - 1, y) && unit_ink(x, y) ? 1.0 : unit_ink(x, y) ? 0.3 : 0.0;
    };
    std::vector<double> total(std::size_t(span) * std::size_t(h));
    std::vector<int> from(std::size_t(span) * std::size_t(h), 0);
    for (int y = 0; y < h; ++y) {
        for (int i = 0; i < span; ++i) {
            const int x = lo + i;
            const double own = crossing(x, y) + kDrift * std::abs(x - column) / reach;
            if (y == 0) {
                total[std::size_t(i)] = own;
                continue;
            }
            double best = 1e300;
            int via = i;
            for (int d = -2; d <= 2; ++d) {
                const int j = i + d;
                if (j < 0 || j >= span) continue;
                const double c =
                    total[std::size_t(y - 1) * std::size_t(span) + std::size_t(j)] + kStep * std::abs(d);
                if (c < best) best = c, via = j;
            }
            total[std::size_t(y) * std::size_t(span) + std::size_t(i)] = best + own;
            from[std::size_t(y) * std::size_t(span) + std::size_t(i)] = via;
        }
    }
    int at = 0;
    for (int i = 1; i < span; ++i)
        if (total[std::size_t(h - 1) * std::size_t(span) + std::size_t(i)] <
            total[std::size_t(h - 1) * std::size_t(span) + std::size_t(at)])
            at = i;
    Cut cut;
    cut.y0 = y0;
    cut.x.assign(std::size_t(h), 0);
    for (int y = h - 1; y >= 0; --y) {
        cut.x[std::size_t(y)] = lo + at;
        at = from[std::size_t(y) * std::size_t(span) + std::size_t(at)];
    }
    cut.mean = std::accumulate(cut.x.begin(), cut.x.end(), 0.0) / h;
    return cut;
}

Cut straight_cut(int column, int y0, int rows) {
    Cut cut;
    cut.y0 = y0;
    cut.x.assign(std::size_t(rows), column);
    cut.mean = column;
    return cut;
}

// How plausible a piece's shape is for one digit, as a log-probability: far wider than high is unlikely
// (the classifier, which knows two digits written together when it sees them, judges the rest).
double shape_prior(const Box& piece, int height) {
    const double aspect = double(piece.width()) / std::max(1, height);
    return -std::max(0.0, aspect - 1.4);
}

// The pair reader reads units at most this many times as wide as high, and settles their count when this
// sure of it.
constexpr double kPairMaxAspect = 2.0;
constexpr float kPairSure = 0.95f;
// A mark that reads as no digit whole is read as two digits only when the pair reader gives their pair this.
constexpr float kPairRead = 0.9f;

// Each piece costs a little, so that a digit is cut only when its pieces read clearly better.
constexpr double kPieceCost = 0.4;

// A mark left out as no digit is read as a digit all the same when it stands in a line of at least
// kInLineDigits digits read clearly: no farther from the nearest of them than kInLineGap of its height, of
// kInLineHeight of its height, and level with it (sharing kInLineLevel of the lower one's height).
constexpr std::size_t kInLineDigits = 2;
constexpr double kInLineGap = 1.0, kInLineLevel = 0.6;
constexpr double kInLineHeight[2] = {0.6, 1.5};

}  // namespace

namespace {

// The soft ink of a piece (soft_ink for `field`), made on a crop round it: the work is the piece's size, not
// the image's.
Plane piece_ink(const InkMap& ink, const Components& components, const std::vector<int>& members,
                const Cut& left, const Cut& right, Box* box, Field field) {
    const int w = ink.strength.width, h = ink.strength.height;
    std::vector<std::uint8_t> in_members(components.list.size(), 0);
    Box outer;
    for (int m : members) {
        in_members[std::size_t(m)] = 1;
        outer.include(components.list[std::size_t(m)].box);
    }
    auto in_piece = [&](int x, int y) {
        const int label = components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
        if (label < 0 || !in_members[std::size_t(label)]) return false;
        const int l = y - left.y0, r = y - right.y0;
        return l >= 0 && l < int(left.x.size()) && r >= 0 && r < int(right.x.size()) &&
               x >= left.x[std::size_t(l)] && x < right.x[std::size_t(r)];
    };
    Box tight;
    for (int y = outer.y0; y <= outer.y1; ++y)
        for (int x = outer.x0; x <= outer.x1; ++x)
            if (in_piece(x, y)) tight.include({x, y, x, y});
    if (tight.empty()) throw ImageError(ErrorCode::empty_image, "the piece holds no ink");
    if (box) *box = tight;
    // A crop around the piece with its own ink map and two components: the piece, and all other ink.
    const int margin = std::max(tight.width(), tight.height()) / 6 + 2;
    const int cx0 = std::max(0, tight.x0 - margin), cy0 = std::max(0, tight.y0 - margin);
    const int cx1 = std::min(w - 1, tight.x1 + margin), cy1 = std::min(h - 1, tight.y1 + margin);
    InkMap crop;
    crop.strength = Plane(cx1 - cx0 + 1, cy1 - cy0 + 1);
    crop.mask = Mask(crop.strength.width, crop.strength.height);
    crop.dark_ink = ink.dark_ink, crop.noise = ink.noise, crop.low = ink.low, crop.high = ink.high;
    Components parts;
    parts.labels.assign(crop.strength.v.size(), -1);
    parts.list.resize(2);
    DigitGroup group;
    group.members = {0};
    for (int y = cy0; y <= cy1; ++y) {
        for (int x = cx0; x <= cx1; ++x) {
            const std::size_t at =
                std::size_t(y - cy0) * std::size_t(crop.strength.width) + std::size_t(x - cx0);
            const float s = ink.strength(x, y);
            crop.strength.v[at] = s;
            crop.mask.v[at] = ink.mask(x, y);
            const int label = components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
            if (label < 0) continue;
            if (in_piece(x, y)) {
                parts.labels[at] = 0;
                group.mass += s;
                group.area += 1;
                group.box.include({x - cx0, y - cy0, x - cx0, y - cy0});
            } else {
                parts.labels[at] = 1;
            }
        }
    }
    parts.list[0].box = group.box;
    parts.list[0].mass = group.mass;
    parts.list[0].area = group.area;
    return soft_ink(crop, parts, group, field);
}

}  // namespace

Image28 normalise_piece(const InkMap& ink, const Components& components, const std::vector<int>& members,
                        const Cut& left, const Cut& right, Box* box) {
    return centre_in_field(piece_ink(ink, components, members, left, right, box, Field::digit));
}

NumberReading read_number(const InkMap& ink, const Components& components, const ClassifyBatch& classify,
                          const ReadPairs& read_pairs) {
    NumberReading reading;
    std::vector<Unit> units = stacked_units(components);
    if (units.empty()) return reading;
    const int height = line_height(units);
    units = attach_small_marks(std::move(units), height);

    // Every piece worth reading: each unit whole, and for wide units the spans between candidate cuts.
    struct Piece {
        std::size_t unit;
        std::size_t from, to;  // indices into the unit's cuts
        Box box;
        Image28 input{};
        Prediction prediction;
    };
    std::vector<std::vector<Cut>> cuts(units.size());  // per unit: its left edge, cuts..., its right edge
    std::vector<Piece> pieces;
    const int w = ink.strength.width;
    for (std::size_t u = 0; u < units.size(); ++u) {
        const Box& b = units[u].box;
        cuts[u].push_back(straight_cut(b.x0, b.y0, b.height()));
        if (b.width() >= kTryCutWidth * height) {
            Mask unit_ink(b.width(), b.height());
            std::vector<std::uint8_t> in_unit(components.list.size(), 0);
            for (int m : units[u].members) in_unit[std::size_t(m)] = 1;
            for (int y = b.y0; y <= b.y1; ++y)
                for (int x = b.x0; x <= b.x1; ++x) {
                    const int label = components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
                    unit_ink(x - b.x0, y - b.y0) = label >= 0 && in_unit[std::size_t(label)];
                }
            for (int column : candidate_columns(unit_ink, b)) {
                Cut cut = cut_path(unit_ink, b.y0, column);
                const bool bent = std::any_of(cut.x.begin(), cut.x.end(), [&](int x) { return x != column; });
                for (int& x : cut.x) x += b.x0;
                cut.mean += b.x0;
                cuts[u].push_back(std::move(cut));
                // The straight cut too, where the path bent: of the two, the reader keeps the better.
                if (bent) cuts[u].push_back(straight_cut(column + b.x0, b.y0, b.height()));
            }
            std::sort(cuts[u].begin() + 1, cuts[u].end(),
                      [](const Cut& a, const Cut& c) { return a.mean < c.mean; });
        }
        cuts[u].push_back(straight_cut(b.x1 + 1, b.y0, b.height()));
        const std::size_t n = cuts[u].size();
        const int unit_height = std::max(b.height(), 1);
        for (std::size_t i = 0; i + 1 < n; ++i) {
            for (std::size_t j = i + 1; j < n; ++j) {
                const double width = cuts[u][j].mean - cuts[u][i].mean;
                const bool whole = i == 0 && j == n - 1;
                if (!whole && (width < kMinPieceWidth * unit_height || width > kMaxPieceWidth * unit_height))
                    continue;
                Piece piece{u, i, j, {}, {}, {}};
                try {
                    piece.input = normalise_piece(ink, components, units[u].members, cuts[u][i], cuts[u][j],
                                                  &piece.box);
                } catch (const ImageError&) {
                    continue;
                }
                if (!whole && piece.box.height() < kMinPieceHeight * unit_height) continue;
                pieces.push_back(std::move(piece));
            }
        }
    }
    if (pieces.empty()) return reading;
    std::vector<Image28> inputs;
    inputs.reserve(pieces.size());
    for (const Piece& p : pieces) inputs.push_back(p.input);
    const std::vector<Prediction> predictions = classify(inputs);
    for (std::size_t i = 0; i < pieces.size(); ++i) pieces[i].prediction = predictions[i];
    // Each unit read whole, when its ink could be read at all.
    std::vector<const Piece*> whole_of(units.size(), nullptr);
    for (const Piece& piece : pieces)
        if (piece.from == 0 && piece.to == cuts[piece.unit].size() - 1) whole_of[piece.unit] = &piece;

    // Per unit, the cutting whose pieces read best: best[j] = the best score of the unit's span up to cut j.
    // Cuts that cross each other cannot both be taken: a piece must end where the next begins.
    struct UnitReading {
        std::vector<ReadDigit> marks;  // left to right, digits and marks that are not
        double score = 0.0;            // of the pieces chosen (log confidence, shape, cost per piece)
        // The chance that the unit, left out whole as no digit, holds digits after all: read as digits
        // parted, if that reads better than whole.
        double parted_chance = 0.0;
        // The chance that the unit holds as many digits as it is read with, when the pair reader decided.
        double count_chance = 1.0;
        // A unit left out as no digit that the pair reader is sure holds two: the two it reads, taken when
        // the unit stands in a line of digits, with the pair reader's chance of two.
        std::vector<ReadDigit> in_line_two;
        double in_line_count_chance = 1.0;
    };
    auto piece_score = [](const Prediction& p, const Box& box, int unit_height) {
        return std::log(std::max(1e-6f, p.confidence)) + shape_prior(box, unit_height) - kPieceCost;
    };
    std::vector<UnitReading> read(units.size());
    for (std::size_t u = 0; u < units.size(); ++u) {
        const std::size_t n = cuts[u].size();
        const int unit_height = std::max(units[u].box.height(), 1);
        const bool wide = units[u].box.width() >= kCutWidth * unit_height;
        const Piece* whole = whole_of[u];
        // A unit read whole with confidence is one digit, unless it is as wide as two.
        const bool cut = wide || !whole || whole->prediction.confidence < kCutConfidence;
        auto best_way = [&](bool allow_cuts) {
            std::vector<double> best(n, -1e300);
            std::vector<int> via(n, -1);  // the piece ending at j on the best way
            best[0] = 0.0;
            for (std::size_t j = 1; j < n; ++j) {
                for (std::size_t p = 0; p < pieces.size(); ++p) {
                    const Piece& piece = pieces[p];
                    if (piece.unit != u || piece.to != j || best[piece.from] <= -1e299) continue;
                    if (!allow_cuts && !(piece.from == 0 && piece.to == n - 1)) continue;
                    const double score =
                        best[piece.from] + piece_score(piece.prediction, piece.box, unit_height);
                    if (score > best[j]) best[j] = score, via[j] = int(p);
                }
            }
            std::vector<std::size_t> chosen;
            for (std::size_t j = n - 1; j > 0 && via[j] >= 0; j = pieces[std::size_t(via[j])].from)
                chosen.push_back(std::size_t(via[j]));
            std::reverse(chosen.begin(), chosen.end());
            return chosen;
        };
        std::vector<std::size_t> chosen = best_way(cut);
        // A mark of a digit's proportions that reads as no digit at all is left out whole, unless it parts
        // into digits each read clearly (two digits written into each other): not cut into pieces that
        // might each pass for one.
        if (!wide && whole && whole->prediction.reason == Rejection::not_a_digit) {
            const std::vector<std::size_t> parted = cut ? chosen : best_way(true);
            bool digits = parted.size() >= 2;
            for (std::size_t p : parted)
                digits = digits && pieces[p].prediction.is_digit &&
                         pieces[p].prediction.confidence >= kPartedConfidence;
            chosen = digits ? parted : std::vector<std::size_t>{std::size_t(whole - pieces.data())};
            if (!digits && parted.size() >= 2) {
                read[u].parted_chance = 1.0;
                for (std::size_t p : parted) read[u].parted_chance *= pieces[p].prediction.confidence;
            }
        }
        // A mark of any width that parts into no digit at all is one mark left out, not several (a doodle
        // beside a number).
        if (whole && chosen.size() >= 2 && std::none_of(chosen.begin(), chosen.end(), [&](std::size_t p) {
                return pieces[p].prediction.reason != Rejection::not_a_digit;
            }))
            chosen = {std::size_t(whole - pieces.data())};
        UnitReading& r = read[u];
        for (std::size_t p : chosen) {
            ReadDigit d;
            d.box = d.source_box = pieces[p].box;
            d.input = pieces[p].input;
            d.prediction = pieces[p].prediction;
            r.score += piece_score(d.prediction, d.box, unit_height);
            r.marks.push_back(std::move(d));
        }
    }

    // The pair reader reads each unit of one or two digits' proportions whole: how many digits it holds,
    // and which. Where it is sure of the count, that count stands; read as two, the digits are the pair it
    // reads, at the cut between them whose pieces agree with it best.
    if (read_pairs) {
        // A unit read as one mark that is no digit: left out whole.
        auto left_out_whole = [](const UnitReading& r) {
            return r.marks.size() == 1 && r.marks[0].prediction.reason == Rejection::not_a_digit;
        };
        std::vector<std::size_t> asked;
        std::vector<ImageWide> fields;
        for (std::size_t u = 0; u < units.size(); ++u) {
            const Box& b = units[u].box;
            const UnitReading& r = read[u];
            const bool all_digits =
                !r.marks.empty() && std::all_of(r.marks.begin(), r.marks.end(), [](const ReadDigit& d) {
                    return d.prediction.reason != Rejection::not_a_digit;
                });
            // A mark left out whole as no digit is asked too: two digits written into each other may be.
            if (!(all_digits || left_out_whole(r)) || r.marks.size() > 2) continue;
            if (b.width() < kTryCutWidth * height || b.width() > kPairMaxAspect * std::max(1, b.height()))
                continue;
            try {
                fields.push_back(centre_in_wide_field(
                    piece_ink(ink, components, units[u].members, straight_cut(b.x0, b.y0, b.height()),
                              straight_cut(b.x1 + 1, b.y0, b.height()), nullptr, Field::wide)));
            } catch (const ImageError&) {
                continue;
            }
            asked.push_back(u);
        }
        const std::vector<PairPrediction> answers =
            fields.empty() ? std::vector<PairPrediction>{} : read_pairs(fields);
        for (std::size_t k = 0; k < asked.size(); ++k) {
            const std::size_t u = asked[k];
            const PairPrediction& answer = answers[k];
            UnitReading& r = read[u];
            const std::size_t n = cuts[u].size();
            const Piece* whole = whole_of[u];
            // A mark the classifier reads clearly as one digit is parted only when the pair reader is sure
            // of the pair too, not just of there being two (a 9 whose stem stands apart from its loop).
            const bool clear_whole = whole && whole->prediction.is_digit &&
                                     whole->prediction.confidence >= kCutConfidence &&
                                     answer.pair[std::size_t(answer.best_pair)] < kPairRead;
            if (answer.two >= kPairSure && !clear_whole) {
                const int a = answer.best_pair / 10, c = answer.best_pair % 10;
                // The two pieces: the way into two that the classifier reads closest to the pair.
                const Piece* left = nullptr;
                const Piece* right = nullptr;
                double best = -1e300;
                for (const Piece& p : pieces) {
                    if (p.unit != u || p.from != 0 || p.to == n - 1) continue;
                    for (const Piece& q : pieces) {
                        if (q.unit != u || q.from != p.to || q.to != n - 1) continue;
                        const double score =
                            std::log(std::max(1e-6f, p.prediction.probabilities[std::size_t(a)])) +
                            std::log(std::max(1e-6f, q.prediction.probabilities[std::size_t(c)]));
                        if (score > best) best = score, left = &p, right = &q;
                    }
                }
                // No cut of the unit's own parts it in two (no valley, or pieces too low): straight cuts
                // about its middle are read instead.
                std::vector<Piece> straight;
                if (!left) {
                    const Box& b = units[u].box;
                    for (double at : {0.35, 0.425, 0.5, 0.575, 0.65}) {
                        const int column = b.x0 + int(std::lround(at * b.width()));
                        Piece l{u, 0, 1, {}, {}, {}}, rt{u, 1, 2, {}, {}, {}};
                        try {
                            l.input = normalise_piece(ink, components, units[u].members,
                                                      straight_cut(b.x0, b.y0, b.height()),
                                                      straight_cut(column, b.y0, b.height()), &l.box);
                            rt.input = normalise_piece(ink, components, units[u].members,
                                                       straight_cut(column, b.y0, b.height()),
                                                       straight_cut(b.x1 + 1, b.y0, b.height()), &rt.box);
                        } catch (const ImageError&) {
                            continue;
                        }
                        straight.push_back(std::move(l));
                        straight.push_back(std::move(rt));
                    }
                    std::vector<Image28> inputs;
                    for (const Piece& p : straight) inputs.push_back(p.input);
                    const std::vector<Prediction> read_straight =
                        inputs.empty() ? std::vector<Prediction>{} : classify(inputs);
                    for (std::size_t i = 0; i + 1 < straight.size(); i += 2) {
                        straight[i].prediction = read_straight[i];
                        straight[i + 1].prediction = read_straight[i + 1];
                        const double score =
                            std::log(std::max(1e-6f, straight[i].prediction.probabilities[std::size_t(a)])) +
                            std::log(
                                std::max(1e-6f, straight[i + 1].prediction.probabilities[std::size_t(c)]));
                        if (score > best) best = score, left = &straight[i], right = &straight[i + 1];
                    }
                }
                if (!left) continue;
                std::array<float, 10> first{}, second{};
                for (int i = 0; i < 10; ++i)
                    for (int j = 0; j < 10; ++j) {
                        first[std::size_t(i)] += answer.pair[std::size_t(10 * i + j)];
                        second[std::size_t(j)] += answer.pair[std::size_t(10 * i + j)];
                    }
                auto digit_of = [](const Piece& piece, const std::array<float, 10>& probabilities,
                                   int digit) {
                    ReadDigit d;
                    d.box = d.source_box = piece.box;
                    d.input = piece.input;
                    d.prediction.digit = digit;
                    d.prediction.probabilities.assign(probabilities.begin(), probabilities.end());
                    d.prediction.confidence = probabilities[std::size_t(digit)];
                    return d;
                };
                std::vector<ReadDigit> two = {digit_of(*left, first, a), digit_of(*right, second, c)};
                // A mark left out as no digit becomes two only when the pair reader is sure of the pair and
                // the classifier, too, reads the two pieces clearly as those digits: the pair reader has
                // never been shown anything but digits. A mark as wide as two digits is parted when the
                // pieces read as those digits among digits (bits of its neighbour make each piece look a
                // little like no digit); a narrower one is more likely one sign, and its pieces must be those
                // digits with the confidence that includes the chance of no digit at all (the pair reader
                // reads a "K" as "18", trousers as "11"). Otherwise they are its digits should it stand in
                // a line of digits (below).
                const bool as_wide_as_two =
                    units[u].box.width() >= kCutWidth * std::max(1, units[u].box.height());
                auto reads_as = [&](const Prediction& p, int digit) {
                    const float chance = as_wide_as_two     ? p.probabilities[std::size_t(digit)]
                                         : p.digit == digit ? p.confidence
                                                            : 0.0f;
                    return p.is_digit && chance >= kPartedConfidence;
                };
                if (left_out_whole(r) && !(answer.pair[std::size_t(answer.best_pair)] >= kPairRead &&
                                           reads_as(left->prediction, a) && reads_as(right->prediction, c))) {
                    r.in_line_two = std::move(two);
                    r.in_line_count_chance = answer.two;
                    continue;
                }
                r.marks = std::move(two);
                r.count_chance = answer.two;
                r.parted_chance = 0.0;
            } else if (answer.two <= 1.0f - kPairSure && r.marks.size() == 2 && whole) {
                ReadDigit d;
                d.box = d.source_box = whole->box;
                d.input = whole->input;
                if (whole->prediction.is_digit) {
                    d.prediction = whole->prediction;
                } else {
                    // The classifier reads no digit whole (a 0 whose stem stands apart from its bowl, cut
                    // into "17"): the pair reader's single digit, when it is this sure of it.
                    const auto best = std::max_element(answer.single.begin(), answer.single.end());
                    if (*best < kPartedConfidence) continue;
                    d.prediction.digit = int(best - answer.single.begin());
                    d.prediction.probabilities.assign(answer.single.begin(), answer.single.end());
                    d.prediction.confidence = *best;
                }
                r.marks = {std::move(d)};
                r.count_chance = 1.0 - answer.two;
            }
        }
    }

    // A digit written in two strokes side by side (a 0 whose sides did not meet, a 4 whose stem stands
    // apart) is two units: neighbours that nearly touch, each read as one mark and not both clearly digits,
    // are read together too, and taken together when that reads better than apart.
    std::vector<std::size_t> pair_left;
    std::vector<Image28> pair_inputs;
    std::vector<Box> pair_boxes;
    for (std::size_t u = 0; u + 1 < units.size(); ++u) {
        const Box &a = units[u].box, &b = units[u + 1].box;
        if (read[u].marks.size() != 1 || read[u + 1].marks.size() != 1) continue;
        // Two marks that each read clearly as a digit are two digits.
        auto clear = [](const UnitReading& r) {
            return r.marks[0].prediction.is_digit && r.marks[0].prediction.confidence >= kCutConfidence;
        };
        if (clear(read[u]) && clear(read[u + 1])) continue;
        if (gap_between(a.x0, a.x1, b.x0, b.x1) > kJoinGap * height) continue;
        Box both = a;
        both.include(b);
        if (both.width() > kMaxPieceWidth * std::max(1, both.height())) continue;
        std::vector<int> members = units[u].members;
        members.insert(members.end(), units[u + 1].members.begin(), units[u + 1].members.end());
        Box box;
        try {
            pair_inputs.push_back(normalise_piece(ink, components, members,
                                                  straight_cut(both.x0, both.y0, both.height()),
                                                  straight_cut(both.x1 + 1, both.y0, both.height()), &box));
        } catch (const ImageError&) {
            continue;
        }
        pair_left.push_back(u);
        pair_boxes.push_back(box);
    }
    std::vector<Prediction> pair_predictions;
    if (!pair_inputs.empty()) pair_predictions = classify(pair_inputs);
    std::vector<std::uint8_t> joined(units.size(), 0);  // 1: this unit and the next read as one digit
    for (std::size_t k = 0; k < pair_left.size(); ++k) {
        const std::size_t u = pair_left[k];
        const Prediction& p = pair_predictions[k];
        if (u > 0 && joined[u - 1]) continue;
        if (!p.is_digit || p.confidence < kPartedConfidence) continue;
        const double together = piece_score(p, pair_boxes[k], std::max(1, pair_boxes[k].height()));
        if (together <= read[u].score + read[u + 1].score) continue;
        joined[u] = 1;
        ReadDigit d;
        d.box = d.source_box = pair_boxes[k];
        d.input = pair_inputs[k];
        d.prediction = p;
        read[u].marks.assign(1, std::move(d));
        read[u + 1].marks.clear();
    }

    // A number holds no doodle between its digits: a mark of a digit's size and shape, level with digits
    // read clearly and close to them, is one of its digits however poorly it is written (a 6 open like a
    // "C", a 0 open at the bottom), read as its likeliest digit with the low confidence it has; or, as wide
    // as two and sure to be two by the pair reader ("19" written into each other), as the pair it reads.
    std::vector<Box> clear_boxes;
    for (const UnitReading& r : read)
        for (const ReadDigit& d : r.marks)
            if (d.prediction.is_digit && d.prediction.confidence >= kCutConfidence)
                clear_boxes.push_back(d.box);
    auto in_line = [&](const Box& m, double max_aspect) {
        return in_line_of_digits(m, clear_boxes, max_aspect);
    };
    for (UnitReading& r : read) {
        if (!r.in_line_two.empty() && in_line(r.marks[0].box, kPairMaxAspect)) {
            r.marks = std::move(r.in_line_two);
            r.count_chance = r.in_line_count_chance;
            r.parted_chance = 0.0;
            continue;
        }
        for (ReadDigit& mark : r.marks) {
            if (mark.prediction.reason != Rejection::not_a_digit || !in_line(mark.box, kMaxPieceWidth))
                continue;
            mark.prediction.reason = Rejection::low_confidence;
            mark.prediction.confidence = mark.prediction.probabilities[std::size_t(mark.prediction.digit)];
            r.parted_chance = 0.0;
        }
    }

    // The text's confidence: that every digit is what it reads, and that every mark left out holds none (a
    // doodle barely lowers it; two digits written into each other and left out do).
    double log_confidence = 0.0;
    for (UnitReading& r : read) {
        log_confidence += std::log(std::max(1e-12, r.count_chance));
        for (ReadDigit& d : r.marks) {
            if (d.prediction.reason == Rejection::not_a_digit) {
                const double chance = std::max<double>(d.prediction.confidence, r.parted_chance);
                log_confidence += std::log(std::max(1e-12, 1.0 - chance));
                reading.ignored.push_back(std::move(d));
                continue;
            }
            reading.text += char('0' + d.prediction.digit);
            log_confidence += std::log(std::max(1e-12f, d.prediction.confidence));
            reading.digits.push_back(std::move(d));
        }
    }
    reading.confidence = reading.digits.empty() ? 0.0f : float(std::exp(log_confidence));
    return reading;
}

int settle_digit_count(const SingleDigitInput& input, const Classifier& classifier) {
    const PairReader* pairs = classifier.pairs();
    if (!pairs || input.counted_as_two.empty()) return input.digit_count;
    int count = input.digit_count;
    for (const PairPrediction& answer : pairs->read(input.counted_as_two)) count -= answer.two < 0.5f ? 1 : 0;
    return std::max(1, count);
}

NumberReading read_number(DecodedImage decoded, const Classifier& classifier, Trace* trace) {
    Trace local;
    Trace& t = trace ? *trace : local;
    find_digit_groups(std::move(decoded), t);
    return read_found_number(t, classifier);
}

bool in_line_of_digits(const Box& m, const std::vector<Box>& clear, double max_aspect) {
    if (clear.size() < kInLineDigits || m.width() > max_aspect * m.height()) return false;
    const Box* nearest = nullptr;
    int nearest_gap = 0;
    for (const Box& c : clear) {
        const int gap = gap_between(m.x0, m.x1, c.x0, c.x1);
        if (!nearest || gap < nearest_gap) nearest = &c, nearest_gap = gap;
    }
    const double h = nearest->height();
    return nearest_gap <= kInLineGap * h && m.height() >= kInLineHeight[0] * h &&
           m.height() <= kInLineHeight[1] * h &&
           overlap(m.y0, m.y1, nearest->y0, nearest->y1) >= kInLineLevel * std::min<double>(h, m.height());
}

NumberReading read_number(const InkMap& ink, const Components& components, const Classifier& classifier) {
    ReadPairs read_pairs;
    if (const PairReader* pairs = classifier.pairs())
        read_pairs = [pairs](const std::vector<ImageWide>& fields) { return pairs->read(fields); };
    return read_number(
        ink, components, [&](const std::vector<Image28>& inputs) { return classifier.read_pieces(inputs); },
        read_pairs);
}

NumberReading read_found_number(Trace& t, const Classifier& classifier) {
    NumberReading reading = read_number(t.ink, t.components, classifier);
    if (reading.digits.empty() && reading.ignored.empty()) throw_empty_image();
    for (ReadDigit& d : reading.digits) d.source_box = to_source_pixels(t.decoded, d.box);
    for (ReadDigit& d : reading.ignored) d.source_box = to_source_pixels(t.decoded, d.box);
    return reading;
}

NumberReading read_number(const void* data, std::size_t size, const Classifier& classifier,
                          const DecodeOptions& options, Trace* trace) {
    return read_number(decode_image(data, size, options), classifier, trace);
}

}  // namespace digit
