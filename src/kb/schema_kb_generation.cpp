// Schema of the kb module, migration 7.
// kb_counters.generation changes whenever anything KnowledgeBase::Suggest depends on changes:
// an article inserted or deleted, its title, answer or keywords updated, a synonym group added,
// edited or removed. Suggest keeps its query-independent work (article count, Latin vocabulary,
// tokenised synonyms) in memory and rebuilds it only when the generation moves, which also
// catches changes made by another process (`wedesk admin kb import`). The shown/opened/solved
// counters change on every suggestion and deliberately do not bump it.
// Each bump adds 1 plus a random 32-bit amount: the value only grows, so a committed change
// can never bring back a value a cache has seen, and a change rolled back after Suggest ran in
// the same transaction is all but certain not to share its value with the next committed one.
#include "wedesk/store/database.hpp"

namespace wedesk::kb {

extern const store::Migration kSchemaKbGeneration;
const store::Migration kSchemaKbGeneration = {7, "kb_generation", R"SQL(
INSERT INTO kb_counters(name, value) VALUES ('generation', 0);

CREATE TRIGGER kb_articles_generation_insert AFTER INSERT ON kb_articles BEGIN
    UPDATE kb_counters SET value = value + 1 + (random() & 4294967295) WHERE name = 'generation';
END;
CREATE TRIGGER kb_articles_generation_delete AFTER DELETE ON kb_articles BEGIN
    UPDATE kb_counters SET value = value + 1 + (random() & 4294967295) WHERE name = 'generation';
END;
CREATE TRIGGER kb_articles_generation_update AFTER UPDATE OF title, answer, keywords
    ON kb_articles BEGIN
    UPDATE kb_counters SET value = value + 1 + (random() & 4294967295) WHERE name = 'generation';
END;

CREATE TRIGGER kb_synonyms_generation_insert AFTER INSERT ON kb_synonyms BEGIN
    UPDATE kb_counters SET value = value + 1 + (random() & 4294967295) WHERE name = 'generation';
END;
CREATE TRIGGER kb_synonyms_generation_delete AFTER DELETE ON kb_synonyms BEGIN
    UPDATE kb_counters SET value = value + 1 + (random() & 4294967295) WHERE name = 'generation';
END;
CREATE TRIGGER kb_synonyms_generation_update AFTER UPDATE ON kb_synonyms BEGIN
    UPDATE kb_counters SET value = value + 1 + (random() & 4294967295) WHERE name = 'generation';
END;

-- Merge each full-text index into one segment (imports leave several, and every query term
-- is looked up once per segment); KnowledgeBase does the same after each import or delete.
INSERT INTO kb_fts_bigram(kb_fts_bigram) VALUES ('optimize');
INSERT INTO kb_fts_trigram(kb_fts_trigram) VALUES ('optimize');
)SQL"};

}  // namespace wedesk::kb
