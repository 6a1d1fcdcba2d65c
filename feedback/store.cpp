// What both engines share: choosing the engine from the URL, ids and tokens, constant-time comparison.
#include "store.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "engines.hpp"

namespace digit::feedback {

std::unique_ptr<Store> open_store(const std::string& url, const StoreLimits& limits, int connections) {
    if (url.rfind("sqlite:", 0) == 0) {
        std::string path = url.substr(7);
        if (path.empty())
            throw StoreError(StoreError::Kind::bad_url, "sqlite: needs a file path (sqlite:PATH)");
        return open_sqlite_store(path, limits);
    }
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
        return open_postgres_store(url, limits, connections < 1 ? 1 : connections);
    throw StoreError(StoreError::Kind::bad_url,
                     "unknown feedback database '" + redacted_url(url) +
                         "': expected sqlite:PATH or postgresql://USER@HOST:PORT/DB");
}

std::string random_hex_id() {
    unsigned char bytes[16];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
        }
        got += std::size_t(n);
    }
    static const char digits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (std::size_t i = 0; i < sizeof bytes; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
    // Every byte of the longer string is looked at whatever the contents, so the time tells only lengths.
    const std::size_t n = a.size() > b.size() ? a.size() : b.size();
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? (unsigned char)a[i] : 0;
        const unsigned char y = i < b.size() ? (unsigned char)b[i] : 0;
        diff |= (unsigned char)(x ^ y);
    }
    return diff == 0;
}

std::string redacted_url(const std::string& url) {
    // scheme://user:password@host... -> scheme://user:***@host...; a password=... parameter likewise.
    std::string out = url;
    const std::size_t scheme = out.find("://");
    if (scheme != std::string::npos) {
        const std::size_t at = out.find('@', scheme + 3);
        const std::size_t colon = out.find(':', scheme + 3);
        if (at != std::string::npos && colon != std::string::npos && colon < at)
            out.replace(colon + 1, at - colon - 1, "***");
    }
    const std::size_t password = out.find("password=");
    if (password != std::string::npos) {
        const std::size_t end = out.find('&', password);
        out.replace(password + 9, (end == std::string::npos ? out.size() : end) - password - 9, "***");
    }
    return out;
}

}  // namespace digit::feedback
