// Schema of the tickets module (migration 12): who let a ticket's accept timeout lapse, so the
// re-dispatch never hands it back to them (no lisi → wangwu → lisi ping-pong).
#include "wedesk/store/database.hpp"

namespace wedesk::tickets {

extern const store::Migration kSchemaTicketLapses;
const store::Migration kSchemaTicketLapses = {12, "ticket_lapses", R"SQL(
CREATE TABLE ticket_lapses (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    userid    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, userid)
) WITHOUT ROWID;
)SQL"};

}  // namespace wedesk::tickets
