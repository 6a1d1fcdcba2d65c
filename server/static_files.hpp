// The web UI's files (the UI port): the built single-page app served from its folder, never a byte from
// outside it, with its content types, caching and Content-Security-Policy.
#pragma once

#include <string>

#include <httplib.h>

namespace digit {

// Answers GET `req.path` from the folder `ui_dir`: the file when it is inside the folder, the app's
// index.html for the app's own routes, a JSON 404 otherwise. The Content-Security-Policy lets the page call
// the API on `api_port` as well as its own origin.
void serve_ui_file(const httplib::Request& req, httplib::Response& res, const std::string& ui_dir,
                   int api_port);

}  // namespace digit
