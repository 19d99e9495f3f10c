// The directory module's migrations (their SQL is in schema_*.cpp beside this file). Versions are
// global and unique across modules (checked by schema::All()); append, never edit one that
// has shipped.
#include "wedesk/directory/schema.hpp"

namespace wedesk::directory {

extern const store::Migration kSchemaDirectory;

const std::vector<store::Migration>& Migrations() {
    static const std::vector<store::Migration> all = {kSchemaDirectory};
    return all;
}

}  // namespace wedesk::directory
