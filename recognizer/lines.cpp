#include "lines.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace digit {
namespace {

float centre_y(const Box& b) {
    return 0.5f * float(b.y0 + b.y1);
}
float centre_x(const Box& b) {
    return 0.5f * float(b.x0 + b.x1);
}

float median(std::vector<float> v) {
    if (v.empty()) return 0.0f;
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
    return v[v.size() / 2];
}

// Least squares y = a + b x through the points; b = 0 with fewer than two distinct x.
void fit_line(const std::vector<float>& xs, const std::vector<float>& ys, float& a, float& b) {
    const std::size_t n = xs.size();
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) mx += xs[i], my += ys[i];
    mx /= double(std::max<std::size_t>(n, 1)), my /= double(std::max<std::size_t>(n, 1));
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < n; ++i)
        sxx += (xs[i] - mx) * (xs[i] - mx), sxy += (xs[i] - mx) * (ys[i] - my);
    b = n >= 2 && sxx > 1e-6 ? float(sxy / sxx) : 0.0f;
    a = float(my - b * mx);
}

struct Building {
    std::vector<int> tall;  // component indices
    std::vector<int> small;
    float last_cy = 0.0f;
    int last_x1 = 0;
    float a = 0.0f, b = 0.0f;  // centre line y = a + b x
    float height = 0.0f;       // median tall height
    float pen = 0.0f;          // the width of its strokes, about (a tall character's area over 2.2 heights)
    float density = 0.0f;      // its tall characters' mean ink strength
    Box box;
    double mass = 0.0;
};

}  // namespace

std::vector<int> line_marks(const InkMap& ink, const Components& components) {
    const int w = ink.mask.width, h = ink.mask.height;
    double largest = 0.0;
    for (const Component& c : components.list)
        if (!c.clutter) largest = std::max(largest, c.mass);
    std::vector<int> marks;
    for (int i = 0; i < int(components.list.size()); ++i) {
        const Component& c = components.list[std::size_t(i)];
        if (!c.clutter) {
            marks.push_back(i);
            continue;
        }
        const bool touches_border =
            c.border_contact[0] + c.border_contact[1] + c.border_contact[2] + c.border_contact[3] > 0;
        // A minus sign or a dash: longer than high, but short beside the image. A decimal point: a dot
        // far smaller than a digit, yet more than a speck of grain.
        const bool dash =
            c.box.width() <= w / 2 && c.box.height() <= c.box.width() && c.box.height() <= h / 4;
        const bool dot = c.box.width() <= 3 * c.box.height() && c.box.height() <= 3 * c.box.width();
        if (!touches_border && (dash || dot) && c.area >= 3 && c.mass >= 0.003 * largest) marks.push_back(i);
    }
    return marks;
}

std::vector<TextLine> find_lines(const Components& components, const std::vector<int>& marks) {
    std::vector<TextLine> result;
    if (marks.empty()) return result;
    const auto& list = components.list;
    int max_height = 0;
    for (int m : marks) max_height = std::max(max_height, list[std::size_t(m)].box.height());
    std::vector<int> tall, small;
    for (int m : marks) (list[std::size_t(m)].box.height() >= 0.45 * max_height ? tall : small).push_back(m);
    std::vector<float> heights;
    for (int t : tall) heights.push_back(float(list[std::size_t(t)].box.height()));
    const float h_med = std::max(1.0f, median(heights));

    std::sort(tall.begin(), tall.end(),
              [&](int p, int q) { return list[std::size_t(p)].box.x0 < list[std::size_t(q)].box.x0; });
    std::vector<Building> lines;
    for (int t : tall) {
        const Box& box = list[std::size_t(t)].box;
        const float cy = centre_y(box);
        int best = -1;
        float best_d = 0.6f * h_med;
        for (int l = 0; l < int(lines.size()); ++l) {
            const float d = std::abs(cy - lines[std::size_t(l)].last_cy);
            if (d < best_d && box.x0 - lines[std::size_t(l)].last_x1 < 8 * h_med) best = l, best_d = d;
        }
        if (best < 0) {
            lines.emplace_back();
            best = int(lines.size()) - 1;
        }
        Building& line = lines[std::size_t(best)];
        line.tall.push_back(t);
        line.last_cy = cy;
        line.last_x1 = std::max(line.last_x1, box.x1);
    }
    for (Building& line : lines) {
        std::vector<float> xs, ys, hs, pens, densities;
        for (int t : line.tall) {
            const Component& c = list[std::size_t(t)];
            xs.push_back(centre_x(c.box)), ys.push_back(centre_y(c.box)), hs.push_back(float(c.box.height()));
            pens.push_back(float(c.area) / (2.2f * float(std::max(1, c.box.height()))));
            densities.push_back(float(c.mass / std::max(1, c.area)));
            line.box.include(c.box);
            line.mass += c.mass;
        }
        fit_line(xs, ys, line.a, line.b);
        if (line.tall.size() < 2) line.b = 0.0f, line.a = median(ys);
        line.height = median(hs);
        line.pen = median(pens);
        line.density = median(densities);
    }
    // Small marks join the line they stand in: near its centre line where they are, and not far beside it;
    // and written by its pen -- a point of that pen is at least about as wide as its strokes and as dark.
    // A speck of dust or grain, smaller or fainter, is no mark of the line.
    for (int s : small) {
        const Component& mark = list[std::size_t(s)];
        const Box& box = mark.box;
        const float mx = centre_x(box), my = centre_y(box);
        int best = -1;
        float best_d = 0.0f;
        for (int l = 0; l < int(lines.size()); ++l) {
            const Building& line = lines[std::size_t(l)];
            const float d = std::abs(my - (line.a + line.b * mx)) / line.height;
            const bool beside =
                mx >= line.box.x0 - 2.0f * line.height && mx <= line.box.x1 + 2.0f * line.height;
            const bool pen = float(mark.area) >= 0.3f * line.pen * line.pen &&
                             float(mark.mass / std::max(1, mark.area)) >= 0.5f * line.density;
            if (beside && pen && d <= 0.8f && (best < 0 || d < best_d)) best = l, best_d = d;
        }
        if (best >= 0) lines[std::size_t(best)].small.push_back(s);
    }
    if (int(lines.size()) > kMaxLines) {
        std::sort(lines.begin(), lines.end(),
                  [](const Building& p, const Building& q) { return p.mass > q.mass; });
        lines.resize(std::size_t(kMaxLines));
    }
    std::sort(lines.begin(), lines.end(),
              [](const Building& p, const Building& q) { return centre_y(p.box) < centre_y(q.box); });
    for (Building& line : lines) {
        TextLine out;
        out.members = line.tall;
        out.members.insert(out.members.end(), line.small.begin(), line.small.end());
        std::sort(out.members.begin(), out.members.end(),
                  [&](int p, int q) { return list[std::size_t(p)].box.x0 < list[std::size_t(q)].box.x0; });
        for (int m : out.members) out.box.include(list[std::size_t(m)].box);
        out.char_height = line.height;
        out.slope = line.b;
        result.push_back(std::move(out));
    }
    return result;
}

LineStrip make_line_strip(const InkMap& ink, const Components& components, const TextLine& line) {
    const int w = ink.mask.width, h = ink.mask.height;
    std::vector<std::uint8_t> member(components.list.size(), 0);
    for (int m : line.members) member[std::size_t(m)] = 1;
    auto in_line = [&](int x, int y) {
        const int label = components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
        return label >= 0 && member[std::size_t(label)];
    };
    // The ink's reference strength and the line's centre (ink-weighted, the slope taken out).
    std::vector<float> strengths;
    double sum = 0, sum_y = 0;
    const Box& box = line.box;
    for (int y = std::max(0, box.y0); y <= std::min(h - 1, box.y1); ++y)
        for (int x = std::max(0, box.x0); x <= std::min(w - 1, box.x1); ++x)
            if (in_line(x, y)) {
                const float s = ink.strength(x, y);
                strengths.push_back(s);
                sum += s;
                sum_y += s * (double(y) - line.slope * double(x - box.x0));
            }
    LineStrip strip;
    strip.slope = line.slope;
    const float reference = strengths.empty() ? 1.0f : std::max(1e-6f, percentile(strengths, 0.9));
    const float centre = sum > 0 ? float(sum_y / sum) : centre_y(box);
    float scale = kLineCharHeight / std::max(1.0f, line.char_height);
    if (float(box.width()) * scale + 2 * kLineMargin > kMaxLineWidth)
        scale = float(kMaxLineWidth - 2 * kLineMargin) / float(box.width());
    int width = int(std::ceil(float(box.width()) * scale)) + 2 * kLineMargin;
    width = (width + 3) / 4 * 4;
    strip.scale = scale;
    strip.x0 = float(box.x0) - float(kLineMargin) / scale;
    strip.y0 = centre - 0.5f * float(kLineHeight) / scale;
    strip.pixels = Plane(width, kLineHeight, 0.0f);

    auto value = [&](int x, int y) -> float {
        if (x < 0 || y < 0 || x >= w || y >= h || !in_line(x, y)) return 0.0f;
        return std::min(1.0f, ink.strength(x, y) / reference);
    };
    auto bilinear = [&](float x, float y) {
        const int ix = int(std::floor(x)), iy = int(std::floor(y));
        const float fx = x - float(ix), fy = y - float(iy);
        return (1 - fy) * ((1 - fx) * value(ix, iy) + fx * value(ix + 1, iy)) +
               fy * ((1 - fx) * value(ix, iy + 1) + fx * value(ix + 1, iy + 1));
    };
    // Each strip pixel averages n x n samples of the area it covers (n grows as the line shrinks).
    const int n = std::clamp(int(std::ceil(1.0f / scale)), 1, 4);
    for (int sy = 0; sy < kLineHeight; ++sy)
        for (int sx = 0; sx < width; ++sx) {
            float acc = 0.0f;
            for (int j = 0; j < n; ++j)
                for (int i = 0; i < n; ++i) {
                    const float x = strip.x0 + (float(sx) + (float(i) + 0.5f) / float(n)) / scale - 0.5f;
                    const float y = strip.y0 + (float(sy) + (float(j) + 0.5f) / float(n)) / scale - 0.5f +
                                    line.slope * (x - float(box.x0));
                    acc += bilinear(x, y);
                }
            strip.pixels(sx, sy) = acc / float(n * n);
        }
    return strip;
}

Frame Frame::then(const Frame& earlier) const {
    // earlier(this(p)): [ea eb; ed ee] * [a b; d e] and the offsets.
    Frame r;
    r.a = earlier.a * a + earlier.b * d;
    r.b = earlier.a * b + earlier.b * e;
    r.c = earlier.a * c + earlier.b * f + earlier.c;
    r.d = earlier.d * a + earlier.e * d;
    r.e = earlier.d * b + earlier.e * e;
    r.f = earlier.d * c + earlier.e * f + earlier.f;
    return r;
}

Box Frame::box_before(const Box& box, int width, int height) const {
    if (box.empty()) return box;
    double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
    for (double cx : {double(box.x0), double(box.x1) + 1.0})
        for (double cy : {double(box.y0), double(box.y1) + 1.0}) {
            double ox, oy;
            apply(cx, cy, ox, oy);
            x0 = std::min(x0, ox), y0 = std::min(y0, oy), x1 = std::max(x1, ox), y1 = std::max(y1, oy);
        }
    Box out;
    out.x0 = std::clamp(int(std::floor(x0 + 1e-6)), 0, width - 1);
    out.y0 = std::clamp(int(std::floor(y0 + 1e-6)), 0, height - 1);
    out.x1 = std::clamp(int(std::ceil(x1 - 1e-6)) - 1, out.x0, width - 1);
    out.y1 = std::clamp(int(std::ceil(y1 - 1e-6)) - 1, out.y0, height - 1);
    return out;
}

InkMap turn_ink(const InkMap& ink, int quarter_turns, Frame* frame) {
    const int q = ((quarter_turns % 4) + 4) % 4;
    const int w = ink.mask.width, h = ink.mask.height;
    const int nw = q % 2 ? h : w, nh = q % 2 ? w : h;
    // Where new pixel (x, y) came from, exactly.
    Frame f;
    if (q == 1) f = {0, 1, 0, -1, 0, double(h - 1)};
    if (q == 2) f = {-1, 0, double(w - 1), 0, -1, double(h - 1)};
    if (q == 3) f = {0, -1, double(w - 1), 1, 0, 0};
    InkMap out = ink;
    out.strength = Plane(nw, nh);
    out.mask = Mask(nw, nh);
    for (int y = 0; y < nh; ++y)
        for (int x = 0; x < nw; ++x) {
            double ox, oy;
            f.apply(x, y, ox, oy);
            out.strength(x, y) = ink.strength(int(ox), int(oy));
            out.mask(x, y) = ink.mask(int(ox), int(oy));
        }
    if (frame) {
        // Pixel (x, y) covers [x, x+1): the frame of pixel corners, for boxes.
        Frame corners = f;
        if (q == 1) corners.f = double(h);
        if (q == 2) corners.c = double(w), corners.f = double(h);
        if (q == 3) corners.c = double(w);
        *frame = corners;
    }
    return out;
}

InkMap rotate_ink(const InkMap& ink, double degrees, Frame* frame) {
    const int w = ink.mask.width, h = ink.mask.height;
    const double t = degrees * 3.14159265358979 / 180.0, cs = std::cos(t), sn = std::sin(t);
    const int nw = int(std::ceil(std::abs(w * cs) + std::abs(h * sn))),
              nh = int(std::ceil(std::abs(w * sn) + std::abs(h * cs)));
    const double cx = 0.5 * w, cy = 0.5 * h, ncx = 0.5 * nw, ncy = 0.5 * nh;
    Frame f{cs, -sn, cx - cs * ncx + sn * ncy, sn, cs, cy - sn * ncx - cs * ncy};
    InkMap out = ink;
    out.strength = Plane(nw, nh);
    for (int y = 0; y < nh; ++y)
        for (int x = 0; x < nw; ++x) {
            double ox, oy;
            f.apply(x + 0.5, y + 0.5, ox, oy);
            ox -= 0.5, oy -= 0.5;
            const int ix = int(std::floor(ox)), iy = int(std::floor(oy));
            const float fx = float(ox - ix), fy = float(oy - iy);
            auto at = [&](int px, int py) {
                return px < 0 || py < 0 || px >= w || py >= h ? 0.0f : ink.strength(px, py);
            };
            out.strength(x, y) = (1 - fy) * ((1 - fx) * at(ix, iy) + fx * at(ix + 1, iy)) +
                                 fy * ((1 - fx) * at(ix, iy + 1) + fx * at(ix + 1, iy + 1));
        }
    out.mask = hysteresis(out.strength, ink.low, ink.high);
    if (frame) *frame = f;
    return out;
}

double skew_degrees(const std::vector<TextLine>& lines) {
    double sum = 0, weight = 0;
    for (const TextLine& line : lines) {
        if (line.members.size() < 3 || line.slope == 0.0f) continue;
        const double wgt = line.box.width();
        sum += wgt * std::atan(double(line.slope)) * 180.0 / 3.14159265358979;
        weight += wgt;
    }
    return weight > 0 ? std::clamp(sum / weight, -35.0, 35.0) : 0.0;
}

}  // namespace digit
