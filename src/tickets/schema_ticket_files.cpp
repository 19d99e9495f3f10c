// Schema of the tickets module (migration 14): what became of each attachment's file. WeCom's
// media_id lives 3 days, so the file is fetched at once and kept under tickets.attachments.dir;
// state: pending (to fetch) → stored, or failed (expired, too large, gave up), later purged
// (retention). Rows older than WeCom's 3 days when this migration runs can no longer be fetched.
#include "wedesk/store/database.hpp"

namespace wedesk::tickets {

extern const store::Migration kSchemaTicketFiles;
const store::Migration kSchemaTicketFiles = {14, "ticket_files", R"SQL(
ALTER TABLE ticket_attachments ADD COLUMN file_name    TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_attachments ADD COLUMN state        TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE ticket_attachments ADD COLUMN path         TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_attachments ADD COLUMN size_bytes   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticket_attachments ADD COLUMN sha256       TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_attachments ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_attachments ADD COLUMN tries        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticket_attachments ADD COLUMN next_try_at  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticket_attachments ADD COLUMN error        TEXT NOT NULL DEFAULT '';
UPDATE ticket_attachments SET state = 'failed', error = 'media expired before it was fetched'
 WHERE added_at < CAST(strftime('%s', 'now') AS INTEGER) - 3 * 86400;
CREATE INDEX ticket_attachments_pending ON ticket_attachments(next_try_at)
 WHERE state = 'pending';
)SQL"};

}  // namespace wedesk::tickets
