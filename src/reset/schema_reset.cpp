// Schema of the reset module (migration 4).
// No secret is stored in clear: codes and link tokens only as HMAC-SHA256 under the server key.
#include "wedesk/store/database.hpp"

namespace wedesk::reset {

extern const store::Migration kSchemaReset;
const store::Migration kSchemaReset = {4, "reset", R"SQL(
CREATE TABLE reset_sessions (
    id              TEXT PRIMARY KEY,           -- random, not secret
    userid          TEXT NOT NULL,
    account         TEXT NOT NULL,
    purpose         TEXT NOT NULL CHECK (purpose IN ('reset_password','unlock')),
    phone           TEXT NOT NULL,              -- E.164 the code went to
    state           TEXT NOT NULL,              -- code_sent | done | link_issued | cancelled | locked | superseded
    code_hash       TEXT NOT NULL DEFAULT '',   -- hex HMAC-SHA256(server_key, id || code)
    code_expires_at INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0, -- wrong codes so far
    locked_until    INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL,           -- the session (not the code) ends here
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX reset_sessions_user ON reset_sessions(userid, created_at);

CREATE TABLE reset_tokens (
    token_hash  TEXT PRIMARY KEY,               -- hex HMAC-SHA256(server_key, "token:" || token)
    session_id  TEXT NOT NULL REFERENCES reset_sessions(id),
    userid      TEXT NOT NULL,
    account     TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE reset_sends (                      -- every SMS that went out, for the caps
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    userid    TEXT NOT NULL,
    phone     TEXT NOT NULL,
    sent_at   INTEGER NOT NULL
);
CREATE INDEX reset_sends_user ON reset_sends(userid, sent_at);
CREATE INDEX reset_sends_phone ON reset_sends(phone, sent_at);

CREATE TABLE reset_audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    userid   TEXT NOT NULL,
    account  TEXT NOT NULL DEFAULT '',
    action   TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reset_audit_user ON reset_audit(userid, at);
CREATE INDEX reset_audit_account ON reset_audit(account, action, outcome, at);
)SQL"};

}  // namespace wedesk::reset
