#include "feedback.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <vector>

#include <cnn/cnn.hpp>

#include "calibrate.hpp"
#include "store.hpp"
#include "training.hpp"

namespace digit {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += char((v >> shift) & 0xFF);
}

// Writes bytes to `path` through a temporary file and a rename, so that a reader never sees half of it.
void write_atomically(const std::string& path, const std::string& bytes) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        if (!out.flush()) {
            std::remove(tmp.c_str());
            throw std::runtime_error(path + ": cannot write");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot rename " + tmp + " over it");
    }
}

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

// The records of a CSV text, each a list of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false, any = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        any = true;
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            rows.back().push_back(std::move(field));
            field.clear();
            rows.emplace_back();
            any = false;
        } else if (c != '\r') {
            field += c;
        }
    }
    if (any) rows.back().push_back(std::move(field));
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

// FNV-1a of an id: which fifth a correction falls in, the same in every export.
std::uint32_t fnv1a(const std::string& text) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : text) h = (h ^ c) * 16777619u;
    return h;
}

std::vector<std::uint8_t> digits_of(const std::string& text) {
    std::vector<std::uint8_t> out;
    for (char c : text)
        if (c >= '0' && c <= '9') out.push_back(std::uint8_t(c - '0'));
    return out;
}

LabelledImages empty_set(const std::string& name) {
    LabelledImages set;
    set.rows = set.cols = 28;
    set.num_classes = 10;
    set.images_path = set.labels_path = name;
    return set;
}

void append_image(LabelledImages& set, const std::uint8_t* pixels, std::uint8_t label) {
    for (int i = 0; i < 784; ++i) set.pixels.push_back(float(pixels[i]) / 255.0f);
    set.labels.push_back(label);
    ++set.count;
}

}  // namespace

ExportSummary export_feedback(const std::string& url, const std::string& out_dir) {
    std::unique_ptr<feedback::Store> store;
    ExportSummary summary;
    std::string images, labels, csv = "image,id,kind,label,digit,predicted,model_version,created_at\n";
    std::vector<std::uint8_t> pixels, digits;
    try {
        store = feedback::open_store(url, {}, 1);
        store->each([&](const feedback::Correction& c) {
            ++summary.corrections;
            std::vector<std::uint8_t> said =
                c.kind == "digit" ? digits_of(c.label.substr(0, 1)) : digits_of(c.label);
            const bool usable = !said.empty() && said.size() == c.input_count();
            auto line = [&](long image, const std::string& digit) {
                csv += std::to_string(image) + "," + csv_field(c.id) + "," + csv_field(c.kind) + "," +
                       csv_field(c.label) + "," + digit + "," + csv_field(c.predicted) + "," +
                       csv_field(c.model_version) + "," + std::to_string(c.created_at) + "\n";
            };
            if (!usable) {
                ++summary.skipped;
                line(-1, "");
                return;
            }
            for (std::size_t i = 0; i < said.size(); ++i) {
                line(long(digits.size()), std::to_string(int(said[i])));
                pixels.insert(pixels.end(), c.inputs.begin() + long(i * 784),
                              c.inputs.begin() + long((i + 1) * 784));
                digits.push_back(said[i]);
            }
        });
    } catch (const feedback::StoreError& e) {
        throw std::runtime_error(feedback::redacted_url(url) + ": " + e.what());
    }
    summary.images = digits.size();
    std::error_code error;
    std::filesystem::create_directories(out_dir, error);
    if (error) throw std::runtime_error(out_dir + ": cannot create the folder: " + error.message());
    put_u32(images, 0x00000803);
    put_u32(images, std::uint32_t(digits.size()));
    put_u32(images, 28);
    put_u32(images, 28);
    images.append(reinterpret_cast<const char*>(pixels.data()), pixels.size());
    put_u32(labels, 0x00000801);
    put_u32(labels, std::uint32_t(digits.size()));
    labels.append(reinterpret_cast<const char*>(digits.data()), digits.size());
    write_atomically(out_dir + "/" + kFeedbackImages, images);
    write_atomically(out_dir + "/" + kFeedbackLabels, labels);
    write_atomically(out_dir + "/" + kFeedbackCsv, csv);
    return summary;
}

FeedbackSets load_feedback(const std::string& dir) {
    const IdxImages images = load_idx_images(dir + "/" + kFeedbackImages);
    const IdxLabels labels = load_idx_labels(dir + "/" + kFeedbackLabels);
    if (images.count != labels.count)
        throw std::runtime_error(dir + ": " + std::to_string(images.count) + " images but " +
                                 std::to_string(labels.count) + " labels");
    if (images.count > 0 && (images.rows != 28 || images.cols != 28))
        throw std::runtime_error(dir + "/" + kFeedbackImages + ": images are not 28x28");
    const std::string csv_path = dir + "/" + kFeedbackCsv;
    std::ifstream in(csv_path, std::ios::binary);
    if (!in) throw std::runtime_error(csv_path + ": cannot open (missing or unreadable)");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The id of each image, from the CSV.
    std::vector<std::string> id_of(images.count);
    const auto rows = parse_csv(text);
    for (std::size_t r = 1; r < rows.size(); ++r) {
        if (rows[r].size() < 2)
            throw std::runtime_error(csv_path + ": line " + std::to_string(r + 1) + " is short");
        const long image = std::strtol(rows[r][0].c_str(), nullptr, 10);
        if (image < 0) continue;
        if (std::size_t(image) >= images.count)
            throw std::runtime_error(csv_path + ": line " + std::to_string(r + 1) + " names image " +
                                     std::to_string(image) + " of " + std::to_string(images.count));
        id_of[std::size_t(image)] = rows[r][1];
    }
    FeedbackSets sets{empty_set(dir + " (taught)"), empty_set(dir + " (held back)")};
    std::map<std::string, bool> held;
    for (std::size_t i = 0; i < images.count; ++i) {
        if (id_of[i].empty())
            throw std::runtime_error(csv_path + ": image " + std::to_string(i) + " has no line");
        if (labels.labels[i] > 9) throw std::runtime_error(dir + "/" + kFeedbackLabels + ": a label over 9");
        const bool back = fnv1a(id_of[i]) % 5 == 0;
        if (held.emplace(id_of[i], back).second)
            ++(back ? sets.held_back_corrections : sets.teach_corrections);
        append_image(back ? sets.held_back : sets.teach, images.pixels.data() + i * 784, labels.labels[i]);
    }
    return sets;
}

FinetuneResult finetune(const FinetuneOptions& o) {
    FinetuneResult result;
    const FeedbackSets sets = load_feedback(o.feedback_dir);
    cnn::Sequential before = cnn::load(o.model);
    const Dataset mnist = load_dataset(o.data_dir);
    result.held_back_images = sets.held_back.count;
    result.mnist_before = evaluate(before, mnist.test, o.threads).accuracy;
    if (sets.held_back.count > 0)
        result.held_back_before = evaluate(before, sets.held_back, o.threads).accuracy;
    if (!o.quiet)
        std::fprintf(stderr, "corrections: %zu taught (%zu images), %zu held back (%zu images)\n",
                     sets.teach_corrections, sets.teach.count, sets.held_back_corrections,
                     sets.held_back.count);

    const std::string tmp = o.out + ".finetune.tmp";
    auto fail = [&](const std::string& why) {
        std::remove(tmp.c_str());
        result.written = false;
        result.reason = why;
        return result;
    };
    if (sets.teach.count == 0 || sets.held_back.count == 0)
        return fail("too few corrections to teach and to judge (" + std::to_string(sets.teach.count) +
                    " taught, " + std::to_string(sets.held_back.count) + " held back)");

    TrainOptions t;
    t.data_dir = o.data_dir;
    t.out = tmp;
    t.checkpoint = tmp + ".ckpt";
    t.init = o.model;
    t.arch = before.metadata.count("architecture") ? before.metadata.at("architecture") : "digitnet-plus";
    t.epochs = o.epochs;
    t.lr = o.lr;
    t.optimizer = "adam";
    t.schedule = "cosine";
    t.seed = o.seed;
    t.threads = o.threads;
    t.limit = o.replay;
    t.quiet = o.quiet;
    const bool reject_class = before.output_shape().size() == 11;
    t.negatives = reject_class ? o.negatives : 0;
    t.rejection = "class";
    t.extra = &sets.teach;
    t.extra_per_batch = o.corrections_per_batch;
    t.uploads = o.uploads;
    // The styled digits the model was taught (its metadata's count), unless told otherwise.
    t.styles = o.styles >= 0                           ? o.styles
               : before.metadata.count("style_digits") ? std::atoi(before.metadata.at("style_digits").c_str())
                                                       : 0;
    t.uploads_in_context = 0.3f;
    try {
        train(t);
        CalibrateOptions c;
        c.model = tmp;
        c.data_dir = o.data_dir;
        c.seed = o.seed;
        c.accept = 0.99;  // as the shipped recipe
        c.density_digits = o.density_digits;
        c.held_out = 0;
        c.threads = o.threads;
        calibrate(c);
    } catch (...) {
        std::remove(tmp.c_str());
        std::remove((tmp + ".ckpt").c_str());
        throw;
    }
    std::remove((tmp + ".ckpt").c_str());
    cnn::NamedTensors density;  // the calibration's feature density, kept when the metadata is added
    cnn::Sequential after = cnn::load(tmp, &density);
    result.mnist_after = evaluate(after, mnist.test, o.threads).accuracy;
    result.held_back_after = evaluate(after, sets.held_back, o.threads).accuracy;

    std::printf("%-34s %10s %10s\n", "", "before", "after");
    std::printf("%-34s %10.4f %10.4f\n", "MNIST test", result.mnist_before, result.mnist_after);
    const std::string held = "held-back corrections (" + std::to_string(sets.held_back.count) + ")";
    std::printf("%-34s %10.4f %10.4f\n", held.c_str(), result.held_back_before, result.held_back_after);

    if (result.mnist_after < o.min_mnist_accuracy) {
        char why[160];
        std::snprintf(why, sizeof why, "MNIST test accuracy %.4f is under %.4f", result.mnist_after,
                      o.min_mnist_accuracy);
        return fail(why);
    }
    if (!(result.held_back_after > result.held_back_before))
        return fail("the held-back corrections are read no better than before");
    after.metadata["finetuned_from"] = o.model;
    after.metadata["finetune_corrections"] = std::to_string(sets.teach_corrections);
    after.metadata["finetune_epochs"] = std::to_string(o.epochs);
    cnn::save(after, tmp, density);
    if (std::rename(tmp.c_str(), o.out.c_str()) != 0) return fail("cannot rename " + tmp + " to " + o.out);
    result.written = true;
    return result;
}

}  // namespace digit
