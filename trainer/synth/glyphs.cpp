#include "synth/glyphs.hpp"

#include <sys/stat.h>
#include <fstream>
#include <iterator>
#include <stdexcept>

#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb/stb_truetype.h>

namespace digit {

namespace {

bool file_exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

const std::u32string& letter_glyphs() {
    static const std::u32string glyphs = U"ACEFHKLMNPRUVWXacefhkmnpuwx#@&%+=*";
    return glyphs;
}

std::vector<std::string> handwriting_fonts(NegativeSplit split) {
    static const std::vector<std::string> training = {
        "/usr/share/fonts/truetype/breip/Breip.ttf",
        "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf",
        "/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf",
        "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
        "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
        "/usr/share/fonts/opentype/dancingscript/DancingScript-Bold.otf",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Italic.otf",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Light.otf",
        "/usr/share/fonts/truetype/breip/breipfont.ttf",
        "/usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf",
        "/usr/share/fonts/truetype/leckerli-one/LeckerliOne-Regular.ttf",
        "/usr/share/fonts/truetype/ecolier-court/Ecolier-court.ttf",
        "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
        "/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    };
    static const std::vector<std::string> held_out = {
        "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf",
        "/usr/share/fonts/truetype/sjfonts/Delphine.ttf",
        "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf",
        "/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf",
    };
    std::vector<std::string> found;
    for (const auto& f : split == NegativeSplit::training ? training : held_out)
        if (file_exists(f)) found.push_back(f);
    return found;
}

std::vector<std::uint8_t> read_font(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open the font");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Coverage render_glyph(const std::vector<std::uint8_t>& font_file, char32_t glyph, float pixel_height) {
    stbtt_fontinfo font;
    const int offset = stbtt_GetFontOffsetForIndex(font_file.data(), 0);
    if (offset < 0 || !stbtt_InitFont(&font, font_file.data(), offset)) return {};
    if (stbtt_FindGlyphIndex(&font, int(glyph)) == 0) return {};
    const float scale = stbtt_ScaleForPixelHeight(&font, pixel_height);
    int w = 0, h = 0, xoff = 0, yoff = 0;
    unsigned char* bitmap = stbtt_GetCodepointBitmap(&font, 0, scale, int(glyph), &w, &h, &xoff, &yoff);
    if (!bitmap || w <= 0 || h <= 0) {
        if (bitmap) stbtt_FreeBitmap(bitmap, nullptr);
        return {};
    }
    const int pad = int(pixel_height * 0.3f) + 2;
    Coverage c(w + 2 * pad, h + 2 * pad);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) c(x + pad, y + pad) = bitmap[y * w + x] / 255.0f;
    stbtt_FreeBitmap(bitmap, nullptr);
    return c;
}

}  // namespace digit
