// The reset module's migrations (their SQL is in schema_*.cpp beside this file). Versions are
// global and unique across modules (checked by schema::All()); append, never edit one that
// has shipped.
#include "wedesk/reset/schema.hpp"

namespace wedesk::reset {

extern const store::Migration kSchemaReset;
extern const store::Migration kSchemaResetLimits;

const std::vector<store::Migration>& Migrations() {
    static const std::vector<store::Migration> all = {kSchemaReset, kSchemaResetLimits};
    return all;
}

}  // namespace wedesk::reset
