#pragma once
/// Every module's migrations in one list, in version order: what Database::Open applies for the
/// server, the CLI and tests. Each module owns its tables and their SQL (src/<module>/schema*);
/// this is the only place that knows them all.

#include <vector>

#include "wedesk/store/database.hpp"

namespace wedesk::schema {

/// Sorted by version. Throws std::logic_error when two migrations share a version (two
/// modules appended at once): caught by the tests before anything ships.
const std::vector<store::Migration>& All();

}  // namespace wedesk::schema
