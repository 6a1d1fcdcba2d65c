// The server's answers as JSON, inside server/: the error shape, the HTTP status of each error the
// recognition core reports, and the JSON of a prediction and of a reading. Light to include (the JSON type is
// only declared here), so that the connection layer writes its refusals with the same function as everyone
// else.
#pragma once

#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

#include "error.hpp"
#include "image.hpp"

namespace httplib {
struct Response;
}

namespace digit {

struct Prediction;  // classifier.hpp
struct Reply;       // app.hpp

// Every error answer has one shape, {"error": "<message for people>", "code": "<stable code>"}, written
// here and nowhere else. error_json is that object, for answers that add a field of their own (readiness);
// error_body its text (the connection layer's refusals); error_reply the whole answer.
nlohmann::json error_json(const std::string& code, const std::string& message);
std::string error_body(const std::string& code, const std::string& message);
Reply error_reply(int status, const std::string& code, const std::string& message);

// The stable code and message for a status httplib itself produces (unknown path, unreadable request, ...).
std::pair<const char*, const char*> default_error_for(int status);

// The HTTP status of each error the recognition core reports: the one place codes meet statuses.
int http_status(ErrorCode code);

Reply json_reply(int status, const nlohmann::json& body);

// A number for JSON with the float noise trimmed: 0.998 rather than 0.99800002574920654.
double rounded(double value, double scale = 1e6);

// "input": the 28x28 image the model saw, 28 rows of 28 values in [0,1], ink = 1 (the UI draws it).
nlohmann::json input_json(const Image28& input);

// [x, y, width, height]
nlohmann::json box_json(const Box& box);

// One answer of /predict: digit, confidence, probabilities, is_digit (and why not); with `input`, what the
// model saw.
nlohmann::json prediction_json(const Prediction& prediction, const Image28* input);

// The answer of /read: the text, its confidence, each digit with its box, and the marks left out; with
// `debug`, each one's 28x28 input.
// /read's answer: text (lines joined with "\n"), confidence, orientation, lines with their characters,
// digits (the digit characters, as before) and ignored.
struct TextReading;  // text_reading.hpp
nlohmann::json text_json(const TextReading& reading, bool debug);

// A Reply onto httplib's response.
void apply_reply(const Reply& reply, httplib::Response& res);

}  // namespace digit
