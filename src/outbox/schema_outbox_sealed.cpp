// Schema of the outbox module, migration 9: sealed bodies.
// A message carrying a secret (a temporary password sent after the passive reply had gone) is
// stored sealed (AES-256-GCM, common/seal.hpp) in `body` as a blob with `sealed` = 1, opened
// only to send it, and erased once WeCom acknowledged it.
#include "wedesk/store/database.hpp"

namespace wedesk::outbox {

extern const store::Migration kSchemaOutboxSealed;
const store::Migration kSchemaOutboxSealed = {9, "outbox_sealed", R"SQL(
ALTER TABLE outbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
)SQL"};

}  // namespace wedesk::outbox
