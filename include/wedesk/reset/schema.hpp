#pragma once
/// The reset module's tables (reset sessions, codes and link tokens (as HMACs), sends, wrong codes,
/// audit): its migrations, applied by the store in version order together with every other module's
/// (schema::All()).

#include <vector>

#include "wedesk/store/database.hpp"

namespace wedesk::reset {

const std::vector<store::Migration>& Migrations();

}  // namespace wedesk::reset
