#pragma once
/// The outbox module's tables (outgoing WeCom messages and their delivery state): its migrations,
/// applied by the store in version order together with every other module's (schema::All()).

#include <vector>

#include "wedesk/store/database.hpp"

namespace wedesk::outbox {

const std::vector<store::Migration>& Migrations();

}  // namespace wedesk::outbox
