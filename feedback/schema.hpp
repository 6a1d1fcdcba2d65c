// The feedback database's schema, as numbered migrations that both engines run at start (each in the dialect
// of its engine), and the statements both engines share. The parameters are written $1, $2, ... in the
// order they first appear: PostgreSQL's numbering, and for SQLite named parameters indexed in that order.
#pragma once

#include <string>
#include <vector>

#include "store.hpp"

namespace digit::feedback {

struct Migration {
    int version;
    const char* sqlite;
    const char* postgres;
};

inline const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all = {
        {1,
         "CREATE TABLE feedback ("
         " id TEXT PRIMARY KEY, delete_token TEXT NOT NULL,"
         " kind TEXT NOT NULL CHECK (kind IN ('digit', 'number')), label TEXT NOT NULL,"
         " predicted TEXT NOT NULL, model_version TEXT NOT NULL,"
         " upload BLOB NOT NULL, upload_type TEXT NOT NULL, inputs BLOB NOT NULL,"
         " stored_bytes INTEGER NOT NULL, created_at INTEGER NOT NULL);"
         "CREATE INDEX feedback_created_at ON feedback (created_at);"
         "CREATE TABLE feedback_usage (singleton INTEGER PRIMARY KEY CHECK (singleton = 1),"
         " row_count INTEGER NOT NULL, byte_count INTEGER NOT NULL);"
         "INSERT INTO feedback_usage VALUES (1, 0, 0);",
         "CREATE TABLE feedback ("
         " id TEXT PRIMARY KEY, delete_token TEXT NOT NULL,"
         " kind TEXT NOT NULL CHECK (kind IN ('digit', 'number')), label TEXT NOT NULL,"
         " predicted TEXT NOT NULL, model_version TEXT NOT NULL,"
         " upload BYTEA NOT NULL, upload_type TEXT NOT NULL, inputs BYTEA NOT NULL,"
         " stored_bytes BIGINT NOT NULL, created_at BIGINT NOT NULL);"
         "CREATE INDEX feedback_created_at ON feedback (created_at);"
         "CREATE TABLE feedback_usage (singleton INTEGER PRIMARY KEY CHECK (singleton = 1),"
         " row_count BIGINT NOT NULL, byte_count BIGINT NOT NULL);"
         "INSERT INTO feedback_usage VALUES (1, 0, 0);"},
    };
    return all;
}

inline void check_known_version(int version) {
    const int latest = migrations().back().version;
    if (version > latest)
        throw StoreError(StoreError::Kind::unavailable,
                         "the feedback database has schema version " + std::to_string(version) +
                             ", newer than this program knows (" + std::to_string(latest) + ")");
}

constexpr const char* kMigrationsTableSql =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";

// Takes a row and its bytes from the caps' account, only while both stay within their caps.
constexpr const char* kChargeSql =
    "UPDATE feedback_usage SET row_count = row_count + $1, byte_count = byte_count + $2"
    " WHERE singleton = 1 AND row_count + $1 <= $3 AND byte_count + $2 <= $4";
constexpr const char* kReleaseSql =
    "UPDATE feedback_usage SET row_count = row_count - $1, byte_count = byte_count - $2 WHERE singleton = 1";
constexpr const char* kListSql =
    "SELECT id, kind, label, predicted, model_version, upload_type, length(upload), length(inputs), "
    "created_at"
    " FROM feedback ORDER BY created_at DESC, id LIMIT $1 OFFSET $2";
constexpr const char* kSelectAllSql =
    "SELECT id, kind, label, predicted, model_version, upload, upload_type, inputs, created_at"
    " FROM feedback ORDER BY created_at, id LIMIT $1 OFFSET $2";
constexpr const char* kSelectAllWithoutUploadsSql =
    "SELECT id, kind, label, predicted, model_version, substr(upload, 1, 0), upload_type, inputs, created_at"
    " FROM feedback ORDER BY created_at, id LIMIT $1 OFFSET $2";
// What LIMIT is given for "all rows" (both engines take a number).
constexpr std::int64_t kAllRows = std::int64_t(1) << 62;

// A row of kListSql, and one of kSelectAllSql, from an engine's row: anything with text(column),
// bytes(column) and integer(column).
template <class Row>
Summary summary_of(const Row& row) {
    Summary s;
    s.id = row.text(0);
    s.kind = row.text(1);
    s.label = row.text(2);
    s.predicted = row.text(3);
    s.model_version = row.text(4);
    s.upload_type = row.text(5);
    s.upload_bytes = row.integer(6);
    s.input_count = row.integer(7) / 784;
    s.created_at = row.integer(8);
    return s;
}
template <class Row>
Correction correction_of(const Row& row) {
    Correction c;
    c.id = row.text(0);
    c.kind = row.text(1);
    c.label = row.text(2);
    c.predicted = row.text(3);
    c.model_version = row.text(4);
    c.upload = row.bytes(5);
    c.upload_type = row.text(6);
    const std::string inputs = row.bytes(7);
    c.inputs.assign(inputs.begin(), inputs.end());
    c.created_at = row.integer(8);
    return c;
}

// What a wrong id is compared with, so that a lookup that finds nothing takes as long as one that does.
constexpr const char* kDummyToken = "00000000000000000000000000000000";

}  // namespace digit::feedback
