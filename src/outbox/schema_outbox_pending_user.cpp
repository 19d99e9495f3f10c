// Schema of the outbox module, migration 8: indexes for a cheap and fair worker pass. Owned by
// outbox/.
//  - outbox_pending_user: the pending rows of each user in id order, so a pass finds every
//    user's head message (one index seek per user) however many rows wait behind a paced one.
//  - outbox_user_sends replaces outbox_user_sent: the pacing window counts acknowledged sends
//    (kind 'send') only, so the index carries that condition and answers from the index alone.
#include "wedesk/store/database.hpp"

namespace wedesk::outbox {

extern const store::Migration kSchemaOutboxPendingUser;
const store::Migration kSchemaOutboxPendingUser = {8, "outbox_pending_user", R"SQL(
CREATE INDEX outbox_pending_user ON outbox(userid, id) WHERE status = 'pending';
CREATE INDEX outbox_user_sends ON outbox(userid, sent_at) WHERE status = 'sent' AND kind = 'send';
DROP INDEX outbox_user_sent;
)SQL"};

}  // namespace wedesk::outbox
