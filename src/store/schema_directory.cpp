// Schema of the directory module (migration 5). Owned by directory/.
#include "wedesk/store/database.hpp"

namespace wedesk::store {

extern const Migration kSchemaDirectory;
const Migration kSchemaDirectory = {5, "directory", R"SQL(
SELECT 1;
)SQL"};

}  // namespace wedesk::store
