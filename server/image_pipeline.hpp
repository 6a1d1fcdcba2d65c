// The one image pipeline the server and `digit-trainer predict` share: an uploaded file (PNG, JPEG, BMP, GIF;
// any size, colour, polarity, transparency) becomes the 28x28 input the network expects, made the way MNIST
// itself was made: the ink cropped, its longer side scaled to 20 px with area averaging, pasted into 28x28 so
// that its centre of mass sits at the centre, ink = 1 on a background of 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "classifier.hpp"  // digit::Image28

namespace digit {

// A failure the client caused, with the stable code and HTTP status the API answers with:
//   unsupported_media_type 415  not a PNG, JPEG, BMP or GIF, or truncated/corrupt
//   image_too_large        422  decodable, but more pixels than PipelineOptions::max_pixels
//   empty_image            422  decodes, but holds no ink (blank, uniform, or only faint noise)
class ImageError : public std::runtime_error {
  public:
    ImageError(std::string code, int http_status, const std::string& message)
        : std::runtime_error(message), code_(std::move(code)), http_status_(http_status) {}
    const std::string& code() const { return code_; }
    int http_status() const { return http_status_; }

  private:
    std::string code_;
    int http_status_;
};

struct PipelineOptions {
    // Checked from the file header before any pixel is decoded. 12 MP phone photos fit with room to spare.
    std::uint64_t max_pixels = 40'000'000;
    // Longest side of the grey image the ink search works on; larger images are area-averaged down to it
    // first, which keeps a 12 MP photo fast and is still ~15x the resolution of the 28x28 result.
    int working_side = 400;
};

// A grey image with values in [0,1] (0 = black, 1 = white), row-major.
struct GreyImage {
    int width = 0;
    int height = 0;
    std::vector<float> pixels;
    float at(int x, int y) const { return pixels[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
};

// Decodes an image file in memory and returns the network input. Throws ImageError for bad input; never
// anything else for any byte sequence (short of std::bad_alloc).
Image28 preprocess_image(const void* data, std::size_t size, const PipelineOptions& options = {});

// The steps after decoding, for images that are already pixels (tests, tools). Same errors.
Image28 preprocess_grey(const GreyImage& grey);

// Decodes to grey: EXIF orientation applied, transparency composited, downscaled to options.working_side.
GreyImage decode_grey(const void* data, std::size_t size, const PipelineOptions& options = {});

}  // namespace digit
