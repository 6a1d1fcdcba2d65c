// The API's handlers on plain values (see Api in app.hpp): uploads in, status and JSON out.
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "answers.hpp"
#include "app.hpp"
#include "numbers.hpp"
#include "text_reading.hpp"

namespace digit {
namespace {

using json = nlohmann::json;

bool is_file_field(const Upload& upload) {
    return upload.field_name == "file";
}

// Decodes and preprocesses one upload; an ImageError becomes its JSON error reply.
bool preprocess_upload(const Upload& upload, const DecodeOptions& pipeline, SingleDigitInput& input,
                       Reply& error) {
    if (upload.content.empty()) {
        error = error_reply(400, "empty_file", "the uploaded file is empty");
        return false;
    }
    try {
        input = prepare_digit(upload.content.data(), upload.content.size(), pipeline);
        return true;
    } catch (const ImageError& e) {
        error = error_reply(http_status(e.code()), e.code_name(), e.what());
        return false;
    }
}

const char* const kMissingFileMessage =
    "no image: send multipart/form-data with a field named 'file', or the image itself with an image/* "
    "Content-Type";

}  // namespace

Api::Api(ServerOptions options) : options_(std::move(options)) {
    free_slots_ = options_.max_concurrent_inferences > 0
                      ? options_.max_concurrent_inferences
                      : int(std::max(1u, std::thread::hardware_concurrency()));
    feedback_limiter_.configure(options_.feedback_per_minute, options_.feedback_burst);
}

template <typename Work>
auto Api::with_inference_slot(Work&& work) const {
    {
        std::unique_lock<std::mutex> lock(slots_mutex_);
        slot_freed_.wait(lock, [this] { return free_slots_ > 0; });
        --free_slots_;
    }
    struct Release {
        const Api* api;
        ~Release() {
            {
                std::lock_guard<std::mutex> lock(api->slots_mutex_);
                ++api->free_slots_;
            }
            api->slot_freed_.notify_one();
        }
    } release{this};
    return work();
}

void Api::run_in_inference_slot(const std::function<void()>& work) const {
    with_inference_slot(work);
}

void Api::set_classifier(std::shared_ptr<const Classifier> classifier) {
    std::atomic_store(&classifier_, std::move(classifier));
}

Reply Api::welcome() const {
    return json_reply(200, json{{"message", "Welcome to the Handwritten Digit Recognizer API!"}});
}

Reply Api::health() const {
    return json_reply(200, json{{"status", "ok"}});
}

Reply Api::readiness() const {
    if (!ready()) {
        json body = error_json("not_ready", "the model is still loading");
        body["status"] = "loading";
        return json_reply(503, body);
    }
    return json_reply(200, json{{"status", "ready"}});
}

Reply Api::model_info() const {
    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading");
    json info = classifier->info();
    // Whether corrections are kept here: the page shows its "Wrong?" button only then.
    info["feedback"] = {{"enabled", store_ != nullptr}};
    return json_reply(200, info);
}

Reply Api::metrics_text() const {
    return Reply{200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8", {}};
}

Reply Api::openapi() const {
    return Reply{200, std::string(openapi_document()), "application/json", {}};
}

Reply Api::predict(const std::vector<Upload>& uploads, bool debug) const {
    const auto file = std::find_if(uploads.begin(), uploads.end(), is_file_field);
    if (file == uploads.end()) return error_reply(400, "missing_file", kMissingFileMessage);
    SingleDigitInput input;
    Reply error;
    // The image is checked before readiness so that bad input gets its 4xx even while the model loads.
    if (!preprocess_upload(*file, options_.pipeline, input, error)) return error;
    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading; retry shortly");
    // A single image runs at once on this thread: gating it behind a few slots only adds a wake-up to every
    // request and widens the latency spread (measured with bench/load.sh); batches are gated below.
    const Prediction prediction = classifier->predict(input.image);
    metrics_.record_prediction(prediction);
    json answer = prediction_json(prediction, debug ? &input.image : nullptr);
    answer["digit_count"] = settle_digit_count(input, *classifier);
    answer["model_version"] = classifier->version();
    return json_reply(200, answer);
}

Reply Api::predict_batch(const std::vector<Upload>& uploads, bool debug) const {
    std::vector<const Upload*> files;
    for (const Upload& upload : uploads)
        if (is_file_field(upload)) files.push_back(&upload);
    if (files.empty()) return error_reply(400, "missing_file", kMissingFileMessage);
    if (files.size() > options_.max_batch_files) {
        return error_reply(413, "batch_too_large",
                           "a batch holds at most " + std::to_string(options_.max_batch_files) + " files");
    }
    // Each file gets its own result: a prediction, or the error that file alone would have had.
    std::vector<Image28> images;
    std::vector<SingleDigitInput> counted;
    std::vector<std::size_t> image_of_file(files.size(), SIZE_MAX);
    std::vector<Reply> errors(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        SingleDigitInput input;
        if (preprocess_upload(*files[i], options_.pipeline, input, errors[i])) {
            image_of_file[i] = images.size();
            images.push_back(input.image);
            counted.push_back(std::move(input));
        }
    }
    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading; retry shortly");
    const std::vector<Prediction> predictions =
        images.empty() ? std::vector<Prediction>{}
                       : with_inference_slot([&] { return classifier->predict_batch(images); });
    json results = json::array();
    for (std::size_t i = 0; i < files.size(); ++i) {
        json result;
        if (image_of_file[i] != SIZE_MAX) {
            const Prediction& prediction = predictions.at(image_of_file[i]);
            metrics_.record_prediction(prediction);
            result = prediction_json(prediction, debug ? &images[image_of_file[i]] : nullptr);
            result["digit_count"] = settle_digit_count(counted[image_of_file[i]], *classifier);
            result["model_version"] = classifier->version();
        } else {
            result = json::parse(errors[i].body);
            result["status"] = errors[i].status;
        }
        result["filename"] = files[i]->filename;
        results.push_back(std::move(result));
    }
    return json_reply(200, json{{"results", std::move(results)}, {"model_version", classifier->version()}});
}

Reply Api::read(const std::vector<Upload>& uploads, bool debug, const RequestInfo& request) const {
    Charset charset = Charset::numeric;
    if (const auto it = request.query.find("charset");
        it != request.query.end() && !parse_charset(it->second, charset))
        return error_reply(400, "bad_charset", "charset must be digits or numeric");
    const auto file = std::find_if(uploads.begin(), uploads.end(), is_file_field);
    if (file == uploads.end()) return error_reply(400, "missing_file", kMissingFileMessage);
    if (file->content.empty()) return error_reply(400, "empty_file", "the uploaded file is empty");
    try {
        // Decoded and searched for ink before readiness is checked, so that a bad or blank file gets its 4xx
        // even while the model loads, as on /predict.
        const auto reader = std::atomic_load(&line_reader_);
        Trace trace;
        if (reader)
            find_text(file->content.data(), file->content.size(), options_.pipeline, trace);
        else
            find_digit_groups(decode_image(file->content.data(), file->content.size(), options_.pipeline),
                              trace);
        const auto classifier = std::atomic_load(&classifier_);
        if (!classifier) return error_reply(503, "not_ready", "the model is still loading; retry shortly");
        const TextReading reading = reader ? read_text(trace, *reader, *classifier, charset)
                                           : text_of_number(read_found_number(trace, *classifier));
        for (const ReadDigit& d : reading.digits) metrics_.record_prediction(d.prediction);
        for (const ReadDigit& d : reading.ignored) metrics_.record_prediction(d.prediction);
        json answer = text_json(reading, debug);
        answer["model_version"] = classifier->version();
        return json_reply(200, answer);
    } catch (const ImageError& e) {
        return error_reply(http_status(e.code()), e.code_name(), e.what());
    }
}

}  // namespace digit
