// Schema of the kb module (migration 13): the questions people asked, what the knowledge base
// did for them, and the ticket they became — what `wedesk admin kb gaps` reads to tell the IT
// team which articles to write next.
#include "wedesk/store/database.hpp"

namespace wedesk::kb {

extern const store::Migration kSchemaKbQuestions;
const store::Migration kSchemaKbQuestions = {13, "kb_questions", R"SQL(
CREATE TABLE kb_questions (
    id         INTEGER PRIMARY KEY,
    asked_at   INTEGER NOT NULL,
    userid     TEXT NOT NULL,
    text       TEXT NOT NULL,                 -- as typed
    outcome    TEXT NOT NULL DEFAULT 'none'   -- none: nothing found; shown; solved; unsolved
               CHECK (outcome IN ('none', 'shown', 'solved', 'unsolved')),
    article_id INTEGER NOT NULL DEFAULT 0,    -- the article read, when one was
    ticket_no  TEXT NOT NULL DEFAULT ''       -- the ticket it became, if any
);
CREATE INDEX kb_questions_asked ON kb_questions(asked_at);
)SQL"};

}  // namespace wedesk::kb
