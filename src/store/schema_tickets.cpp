// Schema of the tickets module (migration 2). Owned by tickets/.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaTickets;
const Migration kSchemaTickets = {2, "tickets", R"SQL(
SELECT 1;
)SQL"};

}  // namespace wedesk::store
