// Schema of the reset module (migration 4). Owned by reset/.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaReset;
const Migration kSchemaReset = {4, "reset", R"SQL(
SELECT 1;
)SQL"};

}  // namespace wedesk::store
