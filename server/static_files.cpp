#include "static_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "answers.hpp"
#include "app.hpp"
#include "text.hpp"

namespace digit {
namespace {

const char* mime_type_for(const std::string& path) {
    static const std::pair<const char*, const char*> kTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
        {".webmanifest", "application/manifest+json"}};
    const std::string lower = lowercase(path);
    for (const auto& [extension, type] : kTypes) {
        const std::size_t n = std::strlen(extension);
        if (lower.size() >= n && lower.compare(lower.size() - n, n, extension) == 0) return type;
    }
    return "application/octet-stream";
}

// realpath() as a string, or "" when the path does not exist.
std::string resolved_path(const std::string& path) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr) return {};
    std::string result(resolved);
    std::free(resolved);
    return result;
}

bool is_regular_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool read_whole_file(const std::string& path, std::string& content) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    std::ostringstream buffer;
    buffer << file.rdbuf();
    content = buffer.str();
    return bool(file) || file.eof();
}

// The host name the browser used, for the CSP's connect-src; only characters a host may hold.
std::string request_host_name(const httplib::Request& req) {
    std::string host = req.get_header_value("Host");
    if (!host.empty() && host[0] == '[') {
        host = host.substr(0, host.find(']') + 1);  // [IPv6]
    } else {
        host = host.substr(0, host.find(':'));
    }
    const bool clean =
        !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
        });
    return clean ? host : "localhost";
}

// Scripts, styles and connections from the page's own origin, and connections to the API on `api_port`
// under the name the browser used or the loopback names.
std::string content_security_policy(const std::string& host, int api_port) {
    const std::string api_origin = "http://" + host + ":" + std::to_string(api_port);
    return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' " +
           api_origin + " http://localhost:" + std::to_string(api_port) +
           " http://127.0.0.1:" + std::to_string(api_port) +
           "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
}

}  // namespace

void serve_ui_file(const httplib::Request& req, httplib::Response& res, const std::string& ui_dir,
                   int api_port) {
    const std::string root = resolved_path(ui_dir);
    if (root.empty()) {
        apply_reply(
            error_reply(404, "ui_not_found",
                        "the web UI is not built: folder '" + ui_dir +
                            "' is missing (run `make frontend`); the API still answers on its own port"),
            res);
        return;
    }
    // req.path is already percent-decoded, so "%2e%2e" arrives here as "..": refuse any such segment
    // outright, then make sure the resolved file (symlinks followed) is still inside the folder.
    const std::string& path = req.path;
    const bool suspicious = path.find('\0') != std::string::npos || path.find('\\') != std::string::npos ||
                            ("/" + path + "/").find("/../") != std::string::npos;
    if (suspicious) {
        apply_reply(error_reply(404, "not_found", "no such file"), res);
        return;
    }
    std::string file = resolved_path(root + "/" + path);
    const bool inside = !file.empty() && (file == root || starts_with(file, (root + "/").c_str()));
    if (!file.empty() && !inside) {
        apply_reply(error_reply(404, "not_found", "no such file"), res);
        return;
    }
    if (!inside || !is_regular_file(file)) {
        // A directory (no listings) or an app route: the single-page app's index.html. A missing asset
        // (the last segment has an extension) is a plain 404, so that a broken build shows as one.
        const std::string last_segment = path.substr(path.find_last_of('/') + 1);
        if (file.empty() && last_segment.find('.') != std::string::npos) {
            apply_reply(error_reply(404, "not_found", "no such file"), res);
            return;
        }
        file = resolved_path(root + "/index.html");
        if (file.empty() || !starts_with(file, (root + "/").c_str()) || !is_regular_file(file)) {
            apply_reply(error_reply(404, "ui_not_found", "the web UI has no index.html"), res);
            return;
        }
    }
    std::string content;
    if (!read_whole_file(file, content)) {
        apply_reply(error_reply(404, "not_found", "no such file"), res);
        return;
    }
    res.set_header("Content-Security-Policy", content_security_policy(request_host_name(req), api_port));
    const bool is_index = file.size() >= 11 && file.compare(file.size() - 11, 11, "/index.html") == 0;
    res.set_header("Cache-Control", is_index ? "no-cache" : "public, max-age=3600");
    res.status = 200;
    res.set_content(std::move(content), mime_type_for(file));
}

}  // namespace digit
