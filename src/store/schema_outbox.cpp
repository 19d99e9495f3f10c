// Schema of the outbox module (migration 6). Owned by outbox/.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaOutbox;
const Migration kSchemaOutbox = {6, "outbox", R"SQL(
SELECT 1;
)SQL"};

}  // namespace wedesk::store
