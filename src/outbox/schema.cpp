// The outbox module's migrations (their SQL is in schema_*.cpp beside this file). Versions are
// global and unique across modules (checked by schema::All()); append, never edit one that
// has shipped.
#include "wedesk/outbox/schema.hpp"

namespace wedesk::outbox {

extern const store::Migration kSchemaOutbox;
extern const store::Migration kSchemaOutboxPendingUser;
extern const store::Migration kSchemaOutboxSealed;

const std::vector<store::Migration>& Migrations() {
    static const std::vector<store::Migration> all = {kSchemaOutbox, kSchemaOutboxPendingUser,
                                                      kSchemaOutboxSealed};
    return all;
}

}  // namespace wedesk::outbox
