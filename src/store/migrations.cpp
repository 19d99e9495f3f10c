// The store's own migrations: the tables of its core repositories (inbound log, users,
// dialogs). Every other module keeps its migrations beside its code (src/<module>/schema*.cpp)
// and schema::All() puts them all in version order. Append, never edit one that has shipped.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaCore;          // 1: inbound log (dedupe), users, dialogs
extern const Migration kSchemaUsersAccount;  // 11: one user per directory account

const std::vector<Migration>& CoreMigrations() {
    static const std::vector<Migration> all = {kSchemaCore, kSchemaUsersAccount};
    return all;
}

}  // namespace wedesk::store
