#include "text_reading.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace digit {
namespace {

// The pixels of a way of holding the image (quarter-turned) that belong to no character (doodles beside a
// number).
struct NotCharacters {
    Mask pixels;
    std::vector<Box> boxes;  // each group's, in the turned map's pixels
    bool any = false;
};

// One way of holding the image: turned by `quarter` quarter turns, then rotated by `skew`.
struct Candidate {
    int quarter = 0;
    double skew = 0.0;
    Frame frame;      // from this map's pixels back to the working image's
    Frame to_turned;  // from this map's pixels back to the quarter-turned map's (the skew undone)
    Frame turned;     // from the quarter-turned map's pixels back to the working image's
    InkMap ink;
    Components components;
    std::vector<int> marks;
    std::vector<TextLine> lines;
    std::vector<LineStrip> strips;
    std::shared_ptr<const NotCharacters> not_characters;  // in the quarter-turned map
    std::vector<LineText> read;
    double score = -1e300;  // log p of the lines read, with a cost per extra line
    float confidence = 0.0f;
    // The digit classifier's reading of pieces of the lines (line, box), each piece read once.
    struct Judged {
        Image28 input;
        Prediction prediction;
    };
    std::map<std::array<int, 5>, std::optional<Judged>> judged;
};

Components components_of(const InkMap& ink) {
    Components c = label_components(ink);
    mark_clutter(c, ink.mask.width, ink.mask.height);
    return c;
}

// Whether each component lies mostly on pixels of no character (`frame` takes its pixels to nc's map).
std::vector<std::uint8_t> excluded_components(const InkMap& ink, const Components& components,
                                              const Frame& frame, const NotCharacters& nc) {
    std::vector<std::uint8_t> out(components.list.size(), 0);
    if (!nc.any) return out;
    std::vector<int> on(components.list.size(), 0), total(components.list.size(), 0);
    const int w = ink.mask.width, h = ink.mask.height;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int label = components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
            if (label < 0) continue;
            double ox, oy;
            frame.apply(x + 0.5, y + 0.5, ox, oy);
            const int ix = int(ox), iy = int(oy);
            ++total[std::size_t(label)];
            if (ix >= 0 && iy >= 0 && ix < nc.pixels.width && iy < nc.pixels.height && nc.pixels(ix, iy))
                ++on[std::size_t(label)];
        }
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = total[i] > 0 && 2 * on[i] > total[i];
    return out;
}

void find_and_read(Candidate& c, const LineReader& reader, Charset charset) {
    c.marks = line_marks(c.ink, c.components);
    const std::vector<std::uint8_t> excluded =
        excluded_components(c.ink, c.components, c.to_turned, *c.not_characters);
    c.marks.erase(
        std::remove_if(c.marks.begin(), c.marks.end(), [&](int m) { return excluded[std::size_t(m)] != 0; }),
        c.marks.end());
    c.lines = find_lines(c.components, c.marks);
    c.strips.clear();
    for (const TextLine& line : c.lines) c.strips.push_back(make_line_strip(c.ink, c.components, line));
    std::vector<const Plane*> planes;
    for (const LineStrip& s : c.strips) planes.push_back(&s.pixels);
    c.read = reader.read(planes, charset);
    // A line break costs: reading many one-character lines where one line of several was written (a
    // number turned 90 degrees) must not look as likely as the line.
    c.score = -1.6 * double(std::max<std::size_t>(c.lines.size(), 1) - 1);
    c.confidence = c.lines.empty() ? 0.0f : 1.0f;
    for (const LineText& t : c.read) {
        c.score += std::max(-200.0, t.log_likelihood);
        c.confidence *= t.confidence;
        if (t.text.empty()) c.score -= 5.0;
    }
    if (c.lines.empty()) c.score = -1e300;
}

NotCharacters not_characters(const InkMap& ink, const Components& components,
                             const std::vector<DigitGroup>& groups, const Classifier& classifier,
                             const LineReader& reader, Charset charset);

// The image held a way, its doodles found as it is held (a 7 upside down is no digit, the right way up it
// is), its lines found and read, and straightened when they slant.
Candidate read_turned(const Trace& t, int quarter, const Classifier& classifier, const LineReader& reader,
                      Charset charset) {
    Candidate c;
    c.quarter = quarter;
    if (quarter == 0) {
        c.ink = t.ink;
        c.components = t.components;
        c.not_characters = std::make_shared<NotCharacters>(
            not_characters(c.ink, c.components, t.groups, classifier, reader, charset));
    } else {
        c.ink = turn_ink(t.ink, quarter, &c.frame);
        c.turned = c.frame;
        c.components = components_of(c.ink);
        c.not_characters = std::make_shared<NotCharacters>(not_characters(
            c.ink, c.components, group_digits(c.ink, c.components), classifier, reader, charset));
    }
    find_and_read(c, reader, charset);
    const double skew = skew_degrees(c.lines);
    if (std::abs(skew) > 2.0) {
        Candidate s;
        s.quarter = quarter;
        s.skew = skew;
        s.ink = rotate_ink(c.ink, skew, &s.to_turned);
        s.frame = s.to_turned.then(c.frame);
        s.turned = c.frame;
        s.components = components_of(s.ink);
        s.not_characters = c.not_characters;
        find_and_read(s, reader, charset);
        if (s.score >= c.score) return s;
    }
    return c;
}

// Upright and plainly lines of text: no other turn need be tried.
bool settled(const Candidate& c) {
    if (c.lines.empty() || c.confidence < 0.9f) return false;
    std::size_t chars = 0;
    for (const LineText& t : c.read) {
        if (std::none_of(t.text.begin(), t.text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            return false;
        chars += t.text.size();
    }
    return c.lines.size() == 1 || chars >= 2 * c.lines.size();
}

// The ink of a line's members in the ink map's columns [x0, x1).
Box ink_box(const Candidate& c, const TextLine& line, float x0, float x1) {
    std::vector<std::uint8_t> member(c.components.list.size(), 0);
    for (int m : line.members) member[std::size_t(m)] = 1;
    const int w = c.ink.mask.width, h = c.ink.mask.height;
    const int from = std::clamp(int(std::floor(x0)), 0, w - 1), to = std::clamp(int(std::ceil(x1)), 0, w);
    Box box;
    for (int y = std::max(0, line.box.y0); y <= std::min(h - 1, line.box.y1); ++y)
        for (int x = from; x < to; ++x) {
            const int label = c.components.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)];
            if (label >= 0 && member[std::size_t(label)]) box.include(Box{x, y, x, y});
        }
    return box;
}

// The ink of a line's members between the columns of a character's box, as the digit classifier sees a
// digit (normalise_piece between two straight cuts).
Image28 piece_of(const Candidate& c, const TextLine& line, const Box& box) {
    const int h = c.ink.mask.height, w = c.ink.mask.width;
    Box piece;
    Cut left, right;
    left.y0 = right.y0 = 0;
    left.x.assign(std::size_t(h), std::clamp(box.x0, 0, w));
    right.x.assign(std::size_t(h), std::clamp(box.x1 + 1, 0, w));
    left.mean = left.x[0], right.mean = right.x[0];
    return normalise_piece(c.ink, c.components, line.members, left, right, &piece);
}

// The classifier's readings of the pieces (line, box) of a candidate's lines, from its cache or read now
// in one batch; nullopt for a piece with no ink.
std::vector<const Candidate::Judged*> judge_pieces(Candidate& c, const Classifier& classifier,
                                                   const std::vector<std::pair<std::size_t, Box>>& wanted) {
    auto key = [](std::size_t line, const Box& b) {
        return std::array<int, 5>{int(line), b.x0, b.y0, b.x1, b.y1};
    };
    std::vector<Image28> inputs;
    std::vector<std::array<int, 5>> keys;
    for (const auto& [line, box] : wanted) {
        const std::array<int, 5> k = key(line, box);
        if (c.judged.count(k) || std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
        try {
            inputs.push_back(piece_of(c, c.lines[line], box));
            keys.push_back(k);
        } catch (const ImageError&) {
            c.judged[k] = std::nullopt;
        }
    }
    const std::vector<Prediction> read = classifier.read_pieces(inputs);
    for (std::size_t i = 0; i < read.size(); ++i) c.judged[keys[i]] = Candidate::Judged{inputs[i], read[i]};
    std::vector<const Candidate::Judged*> out;
    for (const auto& [line, box] : wanted) {
        const std::optional<Candidate::Judged>& j = c.judged.at(key(line, box));
        out.push_back(j ? &*j : nullptr);
    }
    return out;
}

// How much the digit classifier agrees with a way of holding the image: the log of the chance it gives each
// digit the line reader read there (its digit score included). Upside down, the line reader still reads
// digits, where the classifier sees shapes it takes for other digits or none.
double classifier_evidence(Candidate& c, const Classifier& classifier) {
    std::vector<std::pair<std::size_t, Box>> pieces;
    std::vector<int> read_as;
    for (std::size_t l = 0; l < c.lines.size(); ++l)
        for (const LineCharacter& ch : c.read[l].characters) {
            if (ch.ch < '0' || ch.ch > '9') continue;
            const Box box = ink_box(c, c.lines[l], c.strips[l].ink_x(ch.x0), c.strips[l].ink_x(ch.x1));
            if (box.empty()) continue;
            pieces.push_back({l, box});
            read_as.push_back(ch.ch - '0');
        }
    double evidence = 0.0;
    const std::vector<const Candidate::Judged*> judged = judge_pieces(c, classifier, pieces);
    for (std::size_t i = 0; i < judged.size(); ++i) {
        if (!judged[i]) continue;
        const Prediction& p = judged[i]->prediction;
        const double chance = p.probabilities.empty()
                                  ? 0.0
                                  : double(p.probabilities[std::size_t(read_as[i])]) * double(p.digit_score);
        evidence += std::log(std::max(1e-3, chance));
    }
    return evidence;
}

// The runs of digits in a line read again by the digit route (read_number: the digit classifier, cuts and
// the pair reader over the run's components), which knows digits better than the line reader does; each
// run keeps whichever reading is surer. The marks between the runs stay as the line reader read them.
void reread_digit_runs(ReadLine& line, Candidate& c, std::size_t line_index, const Classifier& classifier,
                       const std::function<Box(const Box&)>& to_source) {
    constexpr float kAgreed = 0.9f;
    const TextLine& found = c.lines[line_index];
    auto is_digit = [](char ch) { return ch >= '0' && ch <= '9'; };
    std::vector<ReadCharacter> out;
    const std::vector<ReadCharacter>& chars = line.characters;
    // Once a run is read by the digit route, the line's chance is the product of its parts' (the runs' as
    // read, each mark's as the line reader gives it): the line reader's own figure is for its own text.
    // The line reader's characters' own chances are not calibrated, its line's is: each character gets an
    // equal share of the line's correction, so that the parts of a line read by the line reader alone
    // multiply to its line's chance.
    double product = 1.0;
    for (const ReadCharacter& rc : chars) product *= std::max(1e-6, double(rc.confidence));
    const double share = chars.empty() ? 1.0
                                       : std::pow(std::max(1e-9, double(line.confidence)) / product,
                                                  1.0 / double(chars.size()));
    double parts = 1.0;
    bool reread = false;
    for (std::size_t i = 0; i < chars.size();) {
        if (!is_digit(chars[i].ch)) {
            parts *= std::max(1e-6, double(chars[i].confidence)) * share;
            out.push_back(chars[i++]);
            continue;
        }
        std::size_t j = i;
        Box span;
        double run_confidence = 1.0;
        for (; j < chars.size() && is_digit(chars[j].ch); ++j) {
            span.include(chars[j].box);
            run_confidence *= std::max(1e-6, double(chars[j].confidence)) * share;
        }
        // The run as the line reader read it, judged as the reading is judged in the end: a character that
        // the digit classifier takes for no digit (two touching digits read as one) is less likely.
        double judged_run = run_confidence;
        std::vector<std::pair<std::size_t, Box>> pieces;
        for (std::size_t k = i; k < j; ++k) pieces.push_back({line_index, chars[k].box});
        const std::vector<const Candidate::Judged*> judged = judge_pieces(c, classifier, pieces);
        // Where the classifier reads every piece as the line reader did, and surely, the digit route would
        // read the run no better: it is not read again.
        bool agreed = true;
        for (std::size_t k = i; k < j; ++k) {
            const Candidate::Judged* p = judged[k - i];
            if (p && !p->prediction.is_digit)
                judged_run *= std::clamp(double(p->prediction.digit_score), 0.0, 1.0);
            agreed = agreed && p && p->prediction.is_digit && p->prediction.digit == chars[k].ch - '0' &&
                     p->prediction.confidence >= kAgreed;
        }
        NumberReading digits;
        if (!agreed) {
            Components only = c.components;
            for (Component& k : only.list) k.clutter = true;
            bool any = false;
            for (int m : found.members) {
                const Box& b = c.components.list[std::size_t(m)].box;
                const int cx = (b.x0 + b.x1) / 2;
                if (cx >= span.x0 && cx <= span.x1) only.list[std::size_t(m)].clutter = false, any = true;
            }
            if (any) digits = read_number(c.ink, only, classifier);
        }
        if (!digits.text.empty() && double(digits.confidence) > judged_run) {
            for (const ReadDigit& d : digits.digits) {
                ReadCharacter rc;
                rc.ch = char('0' + d.prediction.digit);
                rc.confidence = d.prediction.confidence;
                rc.box = d.box;
                rc.source_box = to_source(d.box);
                out.push_back(rc);
            }
            parts *= digits.confidence;
            reread = true;
        } else {
            out.insert(out.end(), chars.begin() + std::ptrdiff_t(i), chars.begin() + std::ptrdiff_t(j));
            parts *= run_confidence;
        }
        i = j;
    }
    if (reread) line.confidence = float(std::clamp(parts, 0.0, 1.0));
    line.characters = std::move(out);
    line.text.clear();
    for (const ReadCharacter& rc : line.characters) line.text += rc.ch;
}

// The digit groups that are plainly no character: of a character's height and a digit's proportions (not a
// dot, a dash or a slash), taken for no digit by the classifier as /predict judges an image, and not read as
// characters by the line reader either (two touching digits are no single digit, yet they are text) -- a
// doodle, a smiley, a letter beside a number. Their pixels.
NotCharacters not_characters(const InkMap& ink, const Components& components,
                             const std::vector<DigitGroup>& groups, const Classifier& classifier,
                             const LineReader& reader, Charset charset) {
    NotCharacters nc;
    nc.pixels = Mask(ink.mask.width, ink.mask.height);
    int tallest = 0;
    for (const DigitGroup& g : groups) tallest = std::max(tallest, g.box.height());
    std::vector<Image28> inputs;
    std::vector<const DigitGroup*> judged;
    for (const DigitGroup& g : groups) {
        const int gw = g.box.width(), gh = g.box.height();
        if (gh < 0.6 * tallest || 2 * gw < gh || 10 * gw > 13 * gh) continue;
        try {
            inputs.push_back(normalise_digit(ink, components, g));
            judged.push_back(&g);
        } catch (const ImageError&) {
        }
    }
    if (inputs.empty() || groups.size() < 2) return nc;
    const std::vector<Prediction> answers = classifier.predict_batch(inputs);
    // A refused group is read as the lines its components make (a group found across two lines of text
    // is two lines here), and kept as text when every line reads with at least an even chance and it reads
    // as more than one character.
    constexpr float kTextChance = 0.5f;
    std::vector<Box> clear;
    for (std::size_t i = 0; i < answers.size(); ++i)
        if (answers[i].is_digit && answers[i].confidence >= 0.9f) clear.push_back(judged[i]->box);
    std::vector<const DigitGroup*> refused;
    std::vector<std::size_t> first_strip;
    std::vector<LineStrip> strips;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        if (answers[i].is_digit || answers[i].reason != Rejection::not_a_digit) continue;
        refused.push_back(judged[i]);
        first_strip.push_back(strips.size());
        for (const TextLine& line : find_lines(components, judged[i]->members))
            strips.push_back(make_line_strip(ink, components, line));
    }
    first_strip.push_back(strips.size());
    std::vector<const Plane*> planes;
    for (const LineStrip& s : strips) planes.push_back(&s.pixels);
    const std::vector<LineText> read = reader.read(planes, charset);
    for (std::size_t i = 0; i < refused.size(); ++i) {
        bool text = first_strip[i + 1] > first_strip[i];
        std::size_t characters = 0;
        for (std::size_t k = first_strip[i]; k < first_strip[i + 1]; ++k) {
            text = text && !read[k].text.empty() && read[k].confidence >= kTextChance;
            characters += read[k].text.size();
        }
        // Read as one character, the group is what the classifier judged, and its word stands -- unless it
        // stands in a line of digits the classifier reads clearly, where it is one of them however poorly
        // written (as read_number takes it).
        text = text && (characters >= 2 || in_line_of_digits(refused[i]->box, clear));
        if (text) continue;
        const Mask m = member_mask(components, ink, refused[i]->members);
        for (std::size_t p = 0; p < m.v.size(); ++p)
            if (m.v[p]) nc.pixels.v[p] = 1;
        nc.boxes.push_back(refused[i]->box);
        nc.any = true;
    }
    return nc;
}

}  // namespace

void find_text(const void* data, std::size_t size, const DecodeOptions& options, Trace& t) {
    find_digit_groups(decode_image(data, size, options), t);
    std::vector<int> heights;
    for (const DigitGroup& g : t.groups) heights.push_back(g.box.height());
    std::nth_element(heights.begin(), heights.begin() + std::ptrdiff_t(heights.size() / 2), heights.end());
    const int typical = heights[heights.size() / 2], factor = t.decoded.factor;
    constexpr int kSmall = 14, kWanted = 24;
    if (typical >= kSmall || factor <= 1) return;
    const int finer = std::max(1, factor * typical / kWanted);
    const int longest = std::max(t.decoded.source_width, t.decoded.source_height);
    DecodeOptions fine = options;
    fine.working_side = std::min(kFineWorkingSide, (longest + finer - 1) / finer);
    if (fine.working_side <= options.working_side) return;
    Trace again;
    try {
        find_digit_groups(decode_image(data, size, fine), again);
    } catch (const ImageError&) {
        return;  // the usual resolution's ink stands
    }
    t = std::move(again);
}

TextReading read_text(const Trace& t, const LineReader& reader, const Classifier& classifier,
                      Charset charset) {
    // Each way of holding the image that is read is weighed by the line reader's likelihood, the digit
    // classifier's agreement with it and a prior (most uploads are upright: 0.9, each turn 1/30); the chance
    // that the one kept is the right way up is its share of the weights. The turns are read only when the
    // upright reading is unsure or not line-like: the line reader and the classifier read many strings of
    // digits turned half round about as surely as upright ones, and most uploads are upright.
    const double upright_prior = std::log(0.9), turned_prior = std::log(1.0 / 30.0);
    // With an orientation model, its chances for the turns (the glyphs' shapes, the prior above) replace
    // the prior, and only the turns it leaves a real chance are read (most often one); the weights then
    // share out the chance of the turns read.
    const OrientationReader* orientation = reader.orientation();
    std::array<double, 4> turn_chance{};
    bool glyphs_tell = false;
    if (orientation) {
        const std::vector<Image28> glyphs = orientation_glyphs(t.ink, t.components);
        glyphs_tell = !glyphs.empty();
        turn_chance =
            orientation->turn_chances(glyphs, {upright_prior, turned_prior, turned_prior, turned_prior});
    }
    constexpr double kTurnWorthReading = 0.02;
    Candidate best;
    double best_weight = -1e300, read_chance = 0.0;
    std::vector<double> weights;
    auto consider = [&](int quarter, double log_prior, bool first) {
        Candidate c = read_turned(t, quarter, classifier, reader, charset);
        const double weight =
            c.lines.empty() ? -1e300 : c.score + classifier_evidence(c, classifier) + log_prior;
        weights.push_back(weight);
        // A turn must also read surely (at least an even chance): a blurred or odd upright line is not a
        // reason to turn it.
        if (first || best.lines.empty() || (c.confidence >= 0.5f && weight > best_weight))
            best = std::move(c), best_weight = weight;
    };
    if (glyphs_tell) {
        std::array<int, 4> order = {0, 1, 2, 3};
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return turn_chance[std::size_t(a)] > turn_chance[std::size_t(b)];
        });
        for (int quarter : order) {
            const double chance = turn_chance[std::size_t(quarter)];
            if (quarter != order[0] && chance < kTurnWorthReading) continue;
            consider(quarter, std::log(std::max(1e-300, chance)), quarter == order[0]);
            read_chance += chance;
        }
    } else {
        consider(0, upright_prior, true);
        read_chance = 1.0;
        if (!settled(best))
            for (int quarter : {1, 3, 2}) consider(quarter, turned_prior, false);
    }
    double others = 0.0;
    for (double w : weights) others += std::exp(std::max(-700.0, w - best_weight));
    const double orientation_chance = std::min(1.0, read_chance) / std::max(1.0, others);
    if (best.lines.empty()) throw_empty_image();

    TextReading out;
    out.orientation = 90 * best.quarter;
    out.skew = best.skew;
    const int w0 = t.ink.mask.width, h0 = t.ink.mask.height;
    auto to_source = [&](const Box& box) {
        return to_source_pixels(t.decoded, best.frame.box_before(box, w0, h0));
    };
    // The digits, each as the classifier sees it, to judge whether it is one.
    std::vector<std::pair<std::size_t, Box>> wanted;
    std::vector<std::pair<std::size_t, std::size_t>> digit_at;  // (line, character)
    float confidence = 1.0f;
    for (std::size_t l = 0; l < best.lines.size(); ++l) {
        const TextLine& line = best.lines[l];
        const LineStrip& strip = best.strips[l];
        const LineText& read = best.read[l];
        ReadLine rl;
        rl.text = read.text;
        rl.confidence = read.confidence;
        rl.box = line.box;
        rl.source_box = to_source(line.box);
        for (const LineCharacter& ch : read.characters) {
            ReadCharacter rc;
            rc.ch = ch.ch;
            rc.confidence = ch.confidence;
            const float x0 = strip.ink_x(ch.x0), x1 = strip.ink_x(ch.x1);
            rc.box = ink_box(best, line, x0, x1);
            if (rc.box.empty())
                rc.box = Box{int(x0), line.box.y0, std::max(int(x0), int(x1) - 1), line.box.y1};
            rc.source_box = to_source(rc.box);
            rl.characters.push_back(rc);
        }
        reread_digit_runs(rl, best, l, classifier, to_source);
        for (std::size_t k = 0; k < rl.characters.size(); ++k) {
            const ReadCharacter& rc = rl.characters[k];
            if (rc.ch < '0' || rc.ch > '9') continue;
            wanted.push_back({l, rc.box});
            digit_at.push_back({l, k});
        }
        confidence *= rl.confidence;
        out.text += (l ? "\n" : "") + rl.text;
        out.lines.push_back(std::move(rl));
    }
    const std::vector<const Candidate::Judged*> judged = judge_pieces(best, classifier, wanted);
    for (std::size_t i = 0; i < judged.size(); ++i) {
        if (!judged[i]) continue;
        const ReadCharacter& rc = out.lines[digit_at[i].first].characters[digit_at[i].second];
        ReadDigit d;
        d.box = rc.box;
        d.source_box = rc.source_box;
        d.input = judged[i]->input;
        d.prediction = judged[i]->prediction;
        // A character the classifier takes for no digit at all is less likely the digit read.
        if (!d.prediction.is_digit) confidence *= std::clamp(d.prediction.digit_score, 0.0f, 1.0f);
        d.prediction.digit = rc.ch - '0';
        d.prediction.confidence = rc.confidence;
        d.prediction.is_digit = true;
        d.prediction.reason = Rejection::none;
        out.digits.push_back(std::move(d));
    }
    out.confidence = float(confidence * orientation_chance);
    // What is no character: the groups taken for none (their components were never marks of a line), and
    // the marks of no line.
    for (const Box& b : best.not_characters->boxes) {
        ReadDigit d;
        d.box = best.turned.box_before(b, w0, h0);
        d.source_box = to_source_pixels(t.decoded, d.box);
        d.prediction.is_digit = false;
        d.prediction.reason = Rejection::not_a_digit;
        out.ignored.push_back(std::move(d));
    }
    std::vector<std::uint8_t> used(best.components.list.size(), 0);
    for (const TextLine& line : best.lines)
        for (int m : line.members) used[std::size_t(m)] = 1;
    for (int m : best.marks) {
        const Component& c = best.components.list[std::size_t(m)];
        if (used[std::size_t(m)] || c.clutter) continue;
        ReadDigit d;
        d.box = c.box;
        d.source_box = to_source(c.box);
        d.prediction.is_digit = false;
        d.prediction.reason = Rejection::not_a_digit;
        out.ignored.push_back(std::move(d));
    }
    out.ink = std::move(best.ink);
    out.components = std::move(best.components);
    out.found = std::move(best.lines);
    out.strips = std::move(best.strips);
    out.read = std::move(best.read);
    return out;
}

TextReading text_of_number(const NumberReading& reading) {
    TextReading out;
    out.text = reading.text;
    out.confidence = reading.confidence;
    out.digits = reading.digits;
    out.ignored = reading.ignored;
    ReadLine line;
    line.text = reading.text;
    line.confidence = reading.confidence;
    for (const ReadDigit& d : reading.digits) {
        ReadCharacter c;
        c.ch = char('0' + d.prediction.digit);
        c.confidence = d.prediction.confidence;
        c.box = d.box;
        c.source_box = d.source_box;
        line.box.include(d.box);
        line.source_box.include(d.source_box);
        line.characters.push_back(c);
    }
    out.lines.push_back(std::move(line));
    return out;
}

}  // namespace digit
