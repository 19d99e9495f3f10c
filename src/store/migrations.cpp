// The schema's history, in order. Append, never edit a migration that has shipped.
// Each module owns the SQL of its migration in src/store/schema_<module>.cpp.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaCore;          // 1: inbound log (dedupe), users, dialogs
extern const Migration kSchemaTickets;       // 2: tickets, events, attachments
extern const Migration kSchemaKb;            // 3: knowledge base with FTS5
extern const Migration kSchemaReset;         // 4: reset sessions, tokens, audit
extern const Migration kSchemaDirectory;     // 5: local demo directory accounts
extern const Migration kSchemaOutbox;        // 6: outgoing messages
extern const Migration kSchemaKbGeneration;  // 7: kb generation counter and triggers

extern const Migration kSchemaOutboxPendingUser;  // 8: outbox indexes for a fair pass
extern const Migration kSchemaOutboxSealed;       // 9: sealed outbox bodies
extern const Migration kSchemaResetLimits;        // 10: wrong codes per day, SMS budget index
extern const Migration kSchemaResetLimits;        // 10: wrong codes per day, SMS budget index
extern const Migration kSchemaUsersAccount;       // 11: one user per directory account

const std::vector<Migration>& Migrations() {
    static const std::vector<Migration> all = {
        kSchemaCore,         kSchemaTickets,     kSchemaKb,           kSchemaReset,
        kSchemaDirectory,    kSchemaOutbox,      kSchemaKbGeneration, kSchemaOutboxPendingUser,
        kSchemaOutboxSealed, kSchemaResetLimits, kSchemaUsersAccount};
    return all;
}

}  // namespace wedesk::store
