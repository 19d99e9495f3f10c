#pragma once
/// The directory module's tables (the local demo directory's accounts): its migrations, applied by
/// the store in version order together with every other module's (schema::All()).

#include <vector>

#include "wedesk/store/database.hpp"

namespace wedesk::directory {

const std::vector<store::Migration>& Migrations();

}  // namespace wedesk::directory
