# Writes a C++ source that holds a file's bytes, for files the server carries inside its binary:
#   cmake -DINPUT=server/openapi.json -DOUTPUT=openapi_document.cpp -DFUNCTION=openapi_document
#         -DHEADER=app.hpp -P embed_file.cmake
# The source defines `std::string_view digit::FUNCTION()` (declared in HEADER) over the bytes, written as
# numbers: no escaping to get wrong, whatever the file holds.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n    " bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
"// Generated at build time from ${name} by embed_file.cmake: do not edit.
#include \"${HEADER}\"

namespace digit {
namespace {
const unsigned char kBytes[] = {
    ${bytes}0};
}  // namespace

std::string_view ${FUNCTION}() {
    return std::string_view(reinterpret_cast<const char*>(kBytes), ${size});
}

}  // namespace digit
")
# Only a changed file is rewritten, so that nothing recompiles for nothing.
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
