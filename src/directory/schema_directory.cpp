// Schema of the directory module (migration 5).
#include "wedesk/store/database.hpp"

namespace wedesk::directory {

extern const store::Migration kSchemaDirectory;
const store::Migration kSchemaDirectory = {5, "directory", R"SQL(
-- Accounts of the local demo directory (LocalDirectory). Never used with a real directory.
CREATE TABLE directory_accounts (
    account       TEXT PRIMARY KEY COLLATE NOCASE,
    display_name  TEXT NOT NULL DEFAULT '',
    mobile        TEXT,
    -- "pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>"
    password_hash TEXT NOT NULL,
    must_change   INTEGER NOT NULL DEFAULT 0 CHECK (must_change IN (0, 1)),
    locked        INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    is_protected  INTEGER NOT NULL DEFAULT 0 CHECK (is_protected IN (0, 1)),
    updated_at    INTEGER NOT NULL DEFAULT (unixepoch())
);
)SQL"};

}  // namespace wedesk::directory
