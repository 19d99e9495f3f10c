// Schema of the kb module (migration 15): learning from outcomes. Each 解决了 / 没解决 after an
// article, and each ticket filed right after suggestions nobody answered, is a row of
// kb_feedback: the normalised question, the article (with its version: editing an article
// starts its learning afresh), and a signal. Suggest() lifts or lowers an article for
// questions like the recorded ones, with decay and a cap; admins see and reset it
// (`wedesk admin kb learning`).
#include "wedesk/store/database.hpp"

namespace wedesk::kb {

extern const store::Migration kSchemaKbFeedback;
const store::Migration kSchemaKbFeedback = {15, "kb_feedback", R"SQL(
ALTER TABLE kb_articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TRIGGER kb_articles_version AFTER UPDATE OF title, answer, keywords ON kb_articles
BEGIN
    UPDATE kb_articles SET version = version + 1 WHERE id = NEW.id;
END;

ALTER TABLE kb_questions ADD COLUMN top_article INTEGER NOT NULL DEFAULT 0;

CREATE TABLE kb_feedback (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    article_id      INTEGER NOT NULL,
    article_version INTEGER NOT NULL,
    question        TEXT NOT NULL,              -- normalised (tok::Normalize)
    signal          REAL NOT NULL,              -- +1 solved, -1 unsolved, -0.5 ticket after it
    kind            TEXT NOT NULL CHECK (kind IN ('solved', 'unsolved', 'ticket')),
    active          INTEGER NOT NULL DEFAULT 1  -- 0 once an admin reset it
);
CREATE INDEX kb_feedback_article ON kb_feedback(article_id, at) WHERE active = 1;
)SQL"};

}  // namespace wedesk::kb
