// Uploads: the body of POST /predict, /predict/batch and /read collected as it streams in, within the limits,
// then handed to the Api; and the helpers every handler that reads or refuses a body needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <httplib.h>

#include "app.hpp"

namespace digit {

enum class RouteKind;  // routes.hpp

// Collects an upload request's body as it streams in, enforcing the limits while it does: total bytes
// (chunked bodies have no Content-Length to check up front) and the number of file parts. httplib feeds it
// multipart parts or raw bytes.
class UploadCollector {
  public:
    static constexpr std::size_t kMaxFieldBytes = 1024;  // of a part that is not a file
    UploadCollector(std::size_t max_bytes, std::size_t max_files)
        : max_bytes_(max_bytes), max_files_(max_files) {}
    bool begin_part(std::string field_name, std::string filename, std::string content_type);
    bool append(const char* data, std::size_t size);  // to the current part, or the raw body
    void begin_raw(std::string content_type);

    bool over_size() const { return over_size_; }
    bool too_many_files() const { return too_many_files_; }
    std::vector<Upload>& uploads() { return uploads_; }

  private:
    std::size_t max_bytes_, max_files_;
    std::size_t total_bytes_ = 0, file_parts_ = 0;
    bool over_size_ = false, too_many_files_ = false;
    std::vector<Upload> uploads_;
};

// The reply to an upload request once its body has been collected without error.
Reply finish_upload(const Api& api, RouteKind kind, UploadCollector& collected, const RequestInfo& request,
                    bool debug);

// What a handler may know of the request (app.hpp): the peer's address, path, two headers, the query.
RequestInfo request_info(const httplib::Request& req);

// The handler of an upload route (RouteKind predict, read or batch): a multipart body or an image/* one,
// within api.options()' limits, answered by the Api; 400, 413 or 415 when the body cannot be one.
httplib::Server::HandlerWithContentReader upload_handler(const Api& api, RouteKind kind);

// Whether a body follows the headers. httplib would otherwise wait for the connection to close on a POST
// that has neither Content-Length nor chunked encoding.
bool request_has_body(const httplib::Request& req);

// The Content-Length, or 0 when there is none (or it is not a number).
std::uint64_t declared_length(const httplib::Request& req);

// Reads and discards a body the handler refuses, so that the connection stays in step for the next request
// (httplib leaves an unread body in the stream). Bounded by the server's payload limit.
void drain_body(const httplib::Request& req, const httplib::ContentReader& reader);

}  // namespace digit
