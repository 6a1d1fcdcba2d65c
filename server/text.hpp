// Text helpers for header values and paths, shared by the upload handlers and the UI's file serving.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

namespace digit {

inline std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

inline bool starts_with(const std::string& text, const char* prefix) {
    return text.rfind(prefix, 0) == 0;
}

}  // namespace digit
