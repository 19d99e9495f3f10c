#pragma once
/// The tickets module's tables (tickets, their events, attachments and pauses, ticket numbers): its
/// migrations, applied by the store in version order together with every other module's
/// (schema::All()).

#include <vector>

#include "wedesk/store/database.hpp"

namespace wedesk::tickets {

const std::vector<store::Migration>& Migrations();

}  // namespace wedesk::tickets
