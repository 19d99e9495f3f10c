#pragma once
/// The kb module's tables (articles, their search indexes, synonyms, counters and the generation):
/// its migrations, applied by the store in version order together with every other module's
/// (schema::All()).

#include <vector>

#include "wedesk/store/database.hpp"

namespace wedesk::kb {

const std::vector<store::Migration>& Migrations();

}  // namespace wedesk::kb
