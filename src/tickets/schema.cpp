// The tickets module's migrations (their SQL is in schema_*.cpp beside this file). Versions are
// global and unique across modules (checked by schema::All()); append, never edit one that
// has shipped.
#include "wedesk/tickets/schema.hpp"

namespace wedesk::tickets {

extern const store::Migration kSchemaTickets;
extern const store::Migration kSchemaTicketLapses;
extern const store::Migration kSchemaTicketFiles;

const std::vector<store::Migration>& Migrations() {
    static const std::vector<store::Migration> all = {kSchemaTickets, kSchemaTicketLapses,
                                                      kSchemaTicketFiles};
    return all;
}

}  // namespace wedesk::tickets
