// Step 1 of reading an upload: file bytes -> an upright grey image the ink search works on. PNG, JPEG, BMP
// and GIF in any colour type; EXIF orientation applied; transparency composited so that the strokes keep
// their contrast; pixel limits checked from the header before anything is decoded; large images
// area-averaged down to a working size.
#pragma once

#include <cstddef>
#include <cstdint>

#include "error.hpp"
#include "image.hpp"

namespace digit {

struct DecodeOptions {
    // Checked from the file header before any pixel is decoded. 12 MP phone photos fit with room to spare.
    std::uint64_t max_pixels = 40'000'000;
    // Longest side of the grey image the ink search works on; larger images are area-averaged down to it.
    int working_side = 400;
};

struct DecodedImage {
    GreyImage grey;        // upright, at most working_side a side, 0 = black, 1 = white
    int source_width = 0;  // the upright image as a viewer shows it, in the file's pixels
    int source_height = 0;
    int factor = 1;  // grey pixel (x, y) covers source pixels [x*factor, (x+1)*factor)
};

// Throws ImageError (unsupported_media_type, image_too_large) for bad input; never anything else for any
// byte sequence (short of std::bad_alloc).
DecodedImage decode_image(const void* data, std::size_t size, const DecodeOptions& options = {});

}  // namespace digit
