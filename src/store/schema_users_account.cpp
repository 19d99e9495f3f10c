// Schema of the core module, migration 11: one WeCom user per directory account. Owned by
// store/ (users). An account mapped twice (or in two spellings, "DAVE" and "dave") let one
// person reset another's password; the index makes that impossible. An existing database that
// already maps an account twice fails this migration, naming the index: fix the users (wedesk
// admin users import with the corrected CSV, on the previous version) and start again.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaUsersAccount;
const Migration kSchemaUsersAccount = {11, "users_account_unique", R"SQL(
CREATE UNIQUE INDEX users_account ON users(lower(account)) WHERE account != '';
)SQL"};

}  // namespace wedesk::store
