// Core schema (migration 1): the inbound message log that makes WeCom retries idempotent, the
// people wedesk knows, and each person's dialog state.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaCore;
const Migration kSchemaCore = {1, "core", R"SQL(
CREATE TABLE inbound_messages (
    dedupe_key   TEXT PRIMARY KEY,          -- MsgId, or "ev:" FromUserName ":" CreateTime ":" Event...
    userid       TEXT NOT NULL,
    msg_type     TEXT NOT NULL,
    received_at  INTEGER NOT NULL,          -- unix seconds
    reply_kind   TEXT NOT NULL DEFAULT '',  -- '' (no reply), 'text', 'update_button'
    reply_body   BLOB,                      -- reply text, sealed when reply_sealed = 1
    reply_sealed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbound_messages_received ON inbound_messages(received_at);

CREATE TABLE users (
    userid      TEXT PRIMARY KEY,           -- WeCom UserID, lower-cased
    name        TEXT NOT NULL DEFAULT '',
    mobile      TEXT NOT NULL DEFAULT '',   -- E.164 or ''
    account     TEXT NOT NULL DEFAULT '',   -- directory login name or ''
    department  TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT 'employee' CHECK (role IN ('employee','engineer','lead','admin')),
    on_duty     INTEGER NOT NULL DEFAULT 0,
    last_assigned_at INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE user_groups (
    userid     TEXT NOT NULL REFERENCES users(userid) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    PRIMARY KEY (userid, group_name)
);
CREATE INDEX user_groups_group ON user_groups(group_name);

CREATE TABLE dialogs (
    userid     TEXT PRIMARY KEY,
    flow       TEXT NOT NULL,               -- '' when idle
    step       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',  -- JSON owned by the flow
    updated_at INTEGER NOT NULL
);
)SQL"};

}  // namespace wedesk::store
