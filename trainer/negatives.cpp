#include "negatives.hpp"

#include <algorithm>
#include <future>
#include <optional>
#include <random>
#include <stdexcept>

#include "uploads.hpp"

namespace digit {

namespace {

// True when the ink of a 28x28 is at least 0.8 times as wide as high (both digits of a pair are in it).
bool wide_ink(const Image28& input) {
    int x0 = kImageSide, x1 = -1, y0 = kImageSide, y1 = -1;
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x)
            if (input[std::size_t(y * kImageSide + x)] > 0.2f)
                x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    return x1 >= x0 && (x1 - x0 + 1) >= 0.8 * (y1 - y0 + 1);
}

}  // namespace

const char* family_name(NegativeFamily family) {
    switch (family) {
        case NegativeFamily::letters:
            return "letters";
        case NegativeFamily::doodles:
            return "doodles";
        case NegativeFamily::noise:
            return "noise";
        case NegativeFamily::pairs:
            return "pairs";
        case NegativeFamily::clothing:
            return "clothing";
    }
    return "?";
}

NegativeSet make_negatives(NegativeSplit split, const std::vector<NegativeFamily>& families, int count,
                           const std::string& fashion_dir, std::uint32_t seed, const LabelledImages* digits,
                           float restroked) {
    // Each family on its own thread, with its own seeded random source: the same set whatever the timing.
    auto make_family = [&](NegativeFamily family, std::uint32_t family_seed) {
        NegativeSet set;
        std::mt19937 rng(family_seed);
        std::vector<std::vector<std::uint8_t>> fonts;
        std::vector<std::string> font_names;
        LabelledImages fashion;
        if (family == NegativeFamily::letters) {
            for (const auto& path : handwriting_fonts(split)) {
                fonts.push_back(read_font(path));
                font_names.push_back(path.substr(path.find_last_of('/') + 1));
            }
            if (fonts.empty())
                throw std::runtime_error("no handwriting fonts installed (fonts-breip, fonts-bwht, ...)");
        }
        if (family == NegativeFamily::clothing) {
            const std::string prefix = fashion_dir + (split == NegativeSplit::training ? "/train" : "/t10k");
            fashion =
                load_labelled_images(prefix + "-images-idx3-ubyte.gz", prefix + "-labels-idx1-ubyte.gz");
        }
        if (family == NegativeFamily::pairs && (!digits || digits->count < 2))
            throw std::runtime_error("pairs of digits as negatives need the digits to pair");
        // One draw to a statement, in the order these draws have always had (GCC evaluated a call's
        // arguments last first): C++ leaves that order open, and another compiler would make other images.
        int made = 0, attempts = 0;
        while (made < count && attempts < count * 20) {
            ++attempts;
            GreyImage grey;
            std::string kind;
            switch (family) {
                case NegativeFamily::letters: {
                    const int f = pick(rng, int(fonts.size()));
                    const char32_t glyph = letter_glyphs()[size_t(pick(rng, int(letter_glyphs().size())))];
                    const float height = uniform(rng, 40.0f, 160.0f);
                    Coverage c = render_glyph(fonts[size_t(f)], glyph, height);
                    if (c.empty()) continue;
                    const Surface surface = random_surface(rng);
                    grey = put_on_surface(maybe_restroke(std::move(c), height, restroked, rng), surface, rng);
                    kind = font_names[size_t(f)];
                    break;
                }
                case NegativeFamily::doodles: {
                    const auto& kinds = doodle_kinds(split);
                    // For training, a third are random compositions of shapes, a third closed blobs with bays
                    // and points, a third the named kinds.
                    kind = kinds[size_t(made) % kinds.size()];
                    if (split == NegativeSplit::training && made % 3 == 1) kind = "composition";
                    if (split == NegativeSplit::training && made % 3 == 2) kind = "blob";
                    const Surface surface = random_surface(rng);
                    const int side = 60 + pick(rng, 180);
                    grey = put_on_surface(draw_doodle(kind, side, rng), surface, rng);
                    break;
                }
                case NegativeFamily::noise: {
                    const auto& kinds = noise_kinds(split);
                    kind = kinds[size_t(made) % kinds.size()];
                    const int height = 60 + pick(rng, 200), width = 60 + pick(rng, 200);
                    grey = draw_noise(kind, width, height, rng);
                    break;
                }
                case NegativeFamily::clothing: {
                    const size_t i = size_t(pick(rng, int(fashion.count)));
                    Coverage c =
                        enlarge(fashion.image(i), fashion.rows, fashion.cols, 56 + pick(rng, 170), 0.15f);
                    grey = put_on_surface(c, random_surface(rng), rng);
                    kind = "fashion-mnist class " + std::to_string(fashion.labels[i]);
                    break;
                }
                case NegativeFamily::pairs: {
                    const size_t a = size_t(pick(rng, int(digits->count))),
                                 b = size_t(pick(rng, int(digits->count)));
                    const int height = 40 + pick(rng, 140);
                    const Surface surface = random_surface(rng);
                    grey = put_on_surface(maybe_restroke(compose_pair(*digits, a, b, height, rng),
                                                         float(height), restroked, rng),
                                          surface, rng);
                    kind =
                        std::string("pair ") + char('0' + digits->labels[a]) + char('0' + digits->labels[b]);
                    break;
                }
            }
            std::optional<Image28> input = model_input(grey);
            if (!input) continue;
            // The recognizer may take one digit of a pair that stands a little apart for the digit and leave
            // the other out: that is a digit, not a negative.
            if (family == NegativeFamily::pairs && !wide_ink(*input)) continue;
            set.images.push_back(*input);
            set.family.push_back(family);
            set.kind.push_back(kind);
            ++made;
        }
        return set;
    };
    std::vector<std::future<NegativeSet>> parts;
    for (size_t f = 0; f < families.size(); ++f)
        parts.push_back(
            std::async(std::launch::async, make_family, families[f], seed + 7919u * std::uint32_t(f)));
    NegativeSet set;
    for (auto& part : parts) {
        NegativeSet p = part.get();
        set.images.insert(set.images.end(), p.images.begin(), p.images.end());
        set.family.insert(set.family.end(), p.family.begin(), p.family.end());
        set.kind.insert(set.kind.end(), p.kind.begin(), p.kind.end());
    }
    return set;
}

LabelledImages as_labelled(const std::vector<Image28>& images, int label) {
    LabelledImages out;
    out.rows = out.cols = kImageSide;
    out.count = images.size();
    out.num_classes = label + 1;
    for (const Image28& image : images) out.pixels.insert(out.pixels.end(), image.begin(), image.end());
    out.labels.assign(images.size(), std::uint8_t(label));
    return out;
}

}  // namespace digit
