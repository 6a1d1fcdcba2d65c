// The corrections users send (POST /feedback), kept with their consent in a database: the embedded SQLite
// file of one machine (`sqlite:PATH`) or a PostgreSQL server that many replicas share
// (`postgresql://...`). One small interface, two real engines; the server writes through it, digit-trainer
// reads it to export what was kept. Nothing here knows HTTP or the recognizer.
//
// Each engine runs the schema's migrations when it opens the database (a version table says which have
// run, and several replicas starting at once take turns), keeps a row count and byte total beside the rows
// so that the caps hold without counting, and uses prepared statements only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace digit::feedback {

// One correction, as kept. No IP address or anything else about the person is kept.
struct Correction {
    std::string id;                    // random, 32 hex digits
    std::string delete_token;          // random, 32 hex digits: whoever holds it may delete the row
    std::string kind;                  // "digit" or "number"
    std::string label;                 // the right answer: a digit, or the number's text
    std::string predicted;             // what the model answered, when the client said
    std::string model_version;         // the model that answered, when the client said
    std::string upload;                // the image's bytes as uploaded; empty when over the cap
    std::string upload_type;           // its content type
    std::vector<std::uint8_t> inputs;  // the 28x28 inputs the model saw, 784 bytes each (255 = ink)
    std::int64_t created_at = 0;       // seconds since the Unix epoch

    std::size_t input_count() const { return inputs.size() / 784; }
    // What the row costs against the byte cap.
    std::int64_t stored_bytes() const {
        return std::int64_t(upload.size() + inputs.size() + label.size() + predicted.size() +
                            model_version.size() + upload_type.size() + kind.size());
    }
};

class StoreError : public std::runtime_error {
  public:
    enum class Kind {
        bad_url,      // the --feedback-db value names no engine we have
        unavailable,  // the database cannot be reached or failed the statement
        full,         // the row or byte cap would be passed
    };
    StoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

  private:
    Kind kind_;
};

// A row as the operator's list shows it: everything but the images, and their sizes.
struct Summary {
    std::string id, kind, label, predicted, model_version, upload_type;
    std::int64_t upload_bytes = 0;
    std::int64_t input_count = 0;
    std::int64_t created_at = 0;
};

struct StoreLimits {
    std::int64_t max_rows = 100000;
    std::int64_t max_bytes = std::int64_t(2) << 30;  // 2 GiB
};

struct Usage {
    std::int64_t rows = 0;
    std::int64_t bytes = 0;
};

class Store {
  public:
    virtual ~Store() = default;
    virtual std::string engine() const = 0;  // "sqlite" or "postgresql"
    virtual int schema_version() = 0;

    // Keeps a correction; throws StoreError (full, unavailable). Adding a row whose id is already kept
    // changes nothing, so that a retry after a lost answer keeps it once.
    virtual void add(const Correction& correction) = 0;
    // Deletes the row when `token` is its delete token (compared in constant time); false when there is no
    // such row or the token is wrong.
    virtual bool remove(const std::string& id, const std::string& token) = 0;
    // Rows newest first, without their images (the operator's list).
    virtual std::vector<Summary> list(std::int64_t limit, std::int64_t offset) = 0;
    // The rows oldest first, images included (export): `limit` of them (all when negative) from `offset`
    // on; without `uploads`, the uploaded files are left out (upload empty), the 28x28 inputs kept. The
    // delete tokens are never read back.
    virtual void each(const std::function<void(const Correction&)>& visit, std::int64_t limit = -1,
                      std::int64_t offset = 0, bool uploads = true) = 0;
    // Deletes the rows created before `cutoff` (seconds since the epoch); returns how many.
    virtual std::int64_t purge_before(std::int64_t cutoff) = 0;
    virtual Usage usage() = 0;
};

// Opens (and migrates) the database a --feedback-db value names: `sqlite:PATH` or `postgresql://...`
// (`postgres://...` too). `connections`: the PostgreSQL pool's size (the server passes its worker count).
std::unique_ptr<Store> open_store(const std::string& url, const StoreLimits& limits = {},
                                  int connections = 4);

// 32 hex digits from the system's random source (getrandom).
std::string random_hex_id();
// Equal strings, compared in time that depends only on their lengths.
bool constant_time_equal(const std::string& a, const std::string& b);
// The url with any password replaced by "***", for logs.
std::string redacted_url(const std::string& url);

}  // namespace digit::feedback
