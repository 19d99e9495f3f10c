// The kb module's migrations (their SQL is in schema_*.cpp beside this file). Versions are
// global and unique across modules (checked by schema::All()); append, never edit one that
// has shipped.
#include "wedesk/kb/schema.hpp"

namespace wedesk::kb {

extern const store::Migration kSchemaKb;
extern const store::Migration kSchemaKbGeneration;
extern const store::Migration kSchemaKbQuestions;
extern const store::Migration kSchemaKbFeedback;

const std::vector<store::Migration>& Migrations() {
    static const std::vector<store::Migration> all = {kSchemaKb, kSchemaKbGeneration,
                                                      kSchemaKbQuestions, kSchemaKbFeedback};
    return all;
}

}  // namespace wedesk::kb
