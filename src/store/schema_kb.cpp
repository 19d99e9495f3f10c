// Schema of the kb module (migration 3). Owned by kb/.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaKb;
const Migration kSchemaKb = {3, "kb", R"SQL(
SELECT 1;
)SQL"};

}  // namespace wedesk::store
