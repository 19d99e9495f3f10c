// Schema of the outbox module (migration 6).
#include "wedesk/store/database.hpp"

namespace wedesk::outbox {

extern const store::Migration kSchemaOutbox;
const store::Migration kSchemaOutbox = {6, "outbox", R"SQL(
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- delivery order per user
    userid           TEXT NOT NULL,                      -- touser (one member)
    kind             TEXT NOT NULL DEFAULT 'send' CHECK (kind IN ('send','update_card')),
    msgtype          TEXT NOT NULL,                      -- text | markdown | template_card | update_template_card
    body             TEXT NOT NULL,                      -- request JSON without touser/agentid
    task_id          TEXT NOT NULL DEFAULT '',           -- template cards: template_card.task_id
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','parked')),
    attempts         INTEGER NOT NULL DEFAULT 0,         -- sends started (> 0: resends carry duplicate check)
    next_attempt_at  INTEGER NOT NULL,                   -- unix seconds
    first_attempt_at INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER NOT NULL DEFAULT 0,
    msgid            TEXT NOT NULL DEFAULT '',
    response_code    TEXT NOT NULL DEFAULT '',           -- single-use, 72 h; '' once used
    last_error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox(status, id);
CREATE INDEX outbox_user_sent ON outbox(userid, sent_at) WHERE status = 'sent';
CREATE INDEX outbox_task ON outbox(task_id, userid) WHERE task_id != '';
)SQL"};

}  // namespace wedesk::outbox
