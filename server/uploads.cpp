#include "uploads.hpp"

#include <algorithm>
#include <cstdlib>

#include "answers.hpp"
#include "routes.hpp"
#include "text.hpp"

namespace digit {
namespace {

bool debug_requested(const httplib::Request& req) {
    if (!req.has_param("debug")) return false;
    const std::string value = lowercase(req.get_param_value("debug"));
    return value == "1" || value == "true" || value == "yes";
}

}  // namespace

bool UploadCollector::begin_part(std::string field_name, std::string filename, std::string content_type) {
    if (field_name == "file") {
        if (file_parts_ >= max_files_) {
            // Keep reading (the body is bounded by max_bytes anyway) so that the answer is a clean 413.
            too_many_files_ = true;
        }
        ++file_parts_;
    }
    uploads_.push_back(Upload{std::move(field_name), std::move(filename), std::move(content_type), {}});
    return true;
}

void UploadCollector::begin_raw(std::string content_type) {
    uploads_.push_back(Upload{"file", "", std::move(content_type), {}});
}

bool UploadCollector::append(const char* data, std::size_t size) {
    total_bytes_ += size;
    if (total_bytes_ > max_bytes_) {
        over_size_ =
            true;  // only chunked bodies get here: a Content-Length over the limit is refused earlier
        return false;
    }
    if (uploads_.empty() || too_many_files_) return true;
    Upload& current = uploads_.back();
    if (current.field_name == "file") {
        current.content.append(data, size);
    } else if (current.content.size() < kMaxFieldBytes) {
        // Text fields (a correction's label, kind, consent) are kept up to a bound, and marked when longer,
        // so that a long one is refused rather than read cut short.
        current.content.append(data, std::min(size, kMaxFieldBytes + 1 - current.content.size()));
    }
    return true;
}

RequestInfo request_info(const httplib::Request& req) {
    RequestInfo info;
    info.client = req.remote_addr;
    info.path = req.path;
    info.authorization = req.get_header_value("Authorization");
    info.delete_token = req.get_header_value("X-Delete-Token");
    for (const auto& [key, value] : req.params) info.query.emplace(key, value);
    return info;
}

Reply finish_upload(const Api& api, RouteKind kind, UploadCollector& collected, const RequestInfo& request,
                    bool debug) {
    if (kind == RouteKind::batch && collected.too_many_files()) {
        return error_reply(
            413, "batch_too_large",
            "a batch holds at most " + std::to_string(api.options().max_batch_files) + " files");
    }
    // One-image routes ignore extra "file" parts.
    if (kind == RouteKind::batch) return api.predict_batch(collected.uploads(), debug);
    if (kind == RouteKind::read) return api.read(collected.uploads(), debug, request);
    if (kind == RouteKind::feedback) return api.feedback(collected.uploads(), request);
    return api.predict(collected.uploads(), debug);
}

httplib::Server::HandlerWithContentReader upload_handler(const Api& api, RouteKind kind) {
    return [&api, kind](const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader) {
        const ServerOptions& options = api.options();
        const std::size_t max_files = kind == RouteKind::batch ? options.max_batch_files : 1;
        UploadCollector collector(options.max_upload_bytes, max_files);
        bool complete = true;
        if (!request_has_body(req)) {
            // Nothing to read: answered below as a missing file.
        } else if (req.is_multipart_form_data()) {
            complete = reader(
                [&](const httplib::MultipartFormData& part) {
                    return collector.begin_part(part.name, part.filename, part.content_type);
                },
                [&](const char* data, std::size_t size) { return collector.append(data, size); });
        } else {
            const std::string content_type = lowercase(req.get_header_value("Content-Type"));
            const bool image_body =
                starts_with(content_type, "image/") || starts_with(content_type, "application/octet-stream");
            if (!image_body && (declared_length(req) > 0 || !req.has_header("Content-Length"))) {
                drain_body(req, reader);
                apply_reply(error_reply(415, "unsupported_media_type",
                                        "send multipart/form-data with a 'file' field, or an image/* body"),
                            res);
                return;
            }
            if (image_body) collector.begin_raw(content_type);
            complete =
                reader([&](const char* data, std::size_t size) { return collector.append(data, size); });
        }
        Reply reply;
        if (!complete) {
            if (collector.over_size() || res.status == 413) {
                reply = error_reply(
                    413, "payload_too_large",
                    "the upload is larger than " + std::to_string(options.max_upload_bytes) + " bytes");
            } else if (req.is_multipart_form_data()) {
                reply = error_reply(400, "malformed_multipart", "the multipart/form-data body is malformed");
            } else {
                reply = error_reply(400, "bad_request", "the request body could not be read");
            }
        } else {
            reply = finish_upload(api, kind, collector, request_info(req), debug_requested(req));
        }
        apply_reply(reply, res);
    };
}

bool request_has_body(const httplib::Request& req) {
    if (lowercase(req.get_header_value("Transfer-Encoding")).find("chunked") != std::string::npos)
        return true;
    const std::string length = req.get_header_value("Content-Length");
    return !length.empty() && length.find_first_not_of('0') != std::string::npos;
}

std::uint64_t declared_length(const httplib::Request& req) {
    const std::string length = req.get_header_value("Content-Length");
    char* end = nullptr;
    const unsigned long long value = std::strtoull(length.c_str(), &end, 10);
    return (!length.empty() && end != nullptr && *end == '\0') ? value : 0;
}

void drain_body(const httplib::Request& req, const httplib::ContentReader& reader) {
    if (!request_has_body(req)) return;
    if (req.is_multipart_form_data()) {
        reader([](const httplib::MultipartFormData&) { return true; },
               [](const char*, std::size_t) { return true; });
    } else {
        reader([](const char*, std::size_t) { return true; });
    }
}

}  // namespace digit
