// Small, bounds-checked readers of JPEG structure that stb_image does not expose: the EXIF orientation phone
// cameras write instead of rotating the pixels, and whether the file reaches its end-of-image marker (stb
// decodes a truncated JPEG without complaint, filling the missing part with grey).
#pragma once

#include <cstddef>

namespace digit {

// The orientation (1..8, TIFF tag 0x0112) in a JPEG's APP1 "Exif" segment; 1 when absent or malformed.
int jpeg_exif_orientation(const void* data, std::size_t size);

// True when the marker structure is intact up to an EOI marker (data after EOI, as in motion photos, is
// allowed) and every Huffman table is well formed; false when the file ends inside a segment or inside the
// entropy-coded data, or a table would overflow stb_image's decoder. Checked before stb sees the file.
bool jpeg_is_complete(const void* data, std::size_t size);

}  // namespace digit
