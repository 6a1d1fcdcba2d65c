// The recognition core's errors: a stable code and a message, no transport. Whoever serves the answer maps
// the code (HTTP status, exit status); the codes themselves are part of the API's contract.
#pragma once

#include <stdexcept>
#include <string>

namespace digit {

enum class ErrorCode {
    unsupported_media_type,  // not a PNG, JPEG, BMP or GIF, or truncated/corrupt
    image_too_large,         // decodable, but more pixels than the limit
    empty_image,             // decodes, but holds no ink (blank, uniform, or only faint noise)
};

// The stable name of a code, as the API and the CLI print it.
inline const char* code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::unsupported_media_type:
            return "unsupported_media_type";
        case ErrorCode::image_too_large:
            return "image_too_large";
        case ErrorCode::empty_image:
            return "empty_image";
    }
    return "unknown";
}

class ImageError : public std::runtime_error {
  public:
    ImageError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const { return code_; }
    const char* code_name() const { return digit::code_name(code_); }

  private:
    ErrorCode code_;
};

// The one answer for an image in which no ink was found, whichever step found none.
[[noreturn]] inline void throw_empty_image() {
    throw ImageError(ErrorCode::empty_image, "the image holds no ink (it is blank or uniform)");
}

}  // namespace digit
