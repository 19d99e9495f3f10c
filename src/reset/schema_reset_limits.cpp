// Schema of the reset module, migration 10: limits that outlive a session.
//  - reset_wrong_codes: every wrong code, per user and phone, for the sliding 24 h limit
//    (reset.max_wrong_codes_per_day); `cleared` when IT reopens self-service
//    (wedesk admin reset unlock USERID).
//  - reset_sends_at: the global SMS budget counts every attempt in the last hour/day.
#include "wedesk/store/database.hpp"

namespace wedesk::reset {

extern const store::Migration kSchemaResetLimits;
const store::Migration kSchemaResetLimits = {10, "reset_limits", R"SQL(
CREATE TABLE reset_wrong_codes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    userid   TEXT NOT NULL,
    phone    TEXT NOT NULL,
    at       INTEGER NOT NULL,
    cleared  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reset_wrong_codes_user ON reset_wrong_codes(userid, at);
CREATE INDEX reset_wrong_codes_phone ON reset_wrong_codes(phone, at);
CREATE INDEX reset_sends_at ON reset_sends(sent_at);
)SQL"};

}  // namespace wedesk::reset
