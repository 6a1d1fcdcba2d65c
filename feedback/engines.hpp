// The two engines behind Store, inside feedback/ only.
#pragma once

#include <memory>
#include <string>

#include "store.hpp"

namespace digit::feedback {

std::unique_ptr<Store> open_sqlite_store(const std::string& path, const StoreLimits& limits);
std::unique_ptr<Store> open_postgres_store(const std::string& url, const StoreLimits& limits,
                                           int connections);

}  // namespace digit::feedback
