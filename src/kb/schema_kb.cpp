// Schema of the kb module (migration 3).
// kb_articles is the source of truth; kb_fts_bigram and kb_fts_trigram are search indexes that
// kb/ keeps in step with it (the bigram text is produced by kb/'s own tokeniser, so no trigger
// can maintain it). Counters survive article deletion so the deflection rate stays honest.
#include "wedesk/store/database.hpp"

namespace wedesk::kb {

extern const store::Migration kSchemaKb;
const store::Migration kSchemaKb = {3, "kb", R"SQL(
CREATE TABLE kb_articles (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    title_key  TEXT NOT NULL UNIQUE,          -- normalised title: import is idempotent by it
    answer     TEXT NOT NULL,
    keywords   TEXT NOT NULL DEFAULT '[]',    -- JSON array of strings
    shown      INTEGER NOT NULL DEFAULT 0,
    opened     INTEGER NOT NULL DEFAULT 0,
    solved     INTEGER NOT NULL DEFAULT 0,
    unsolved   INTEGER NOT NULL DEFAULT 0
);

-- Pre-tokenised text: CJK runs as overlapping bigrams plus single characters, Latin words
-- lower-cased; rowid = kb_articles.id.
CREATE VIRTUAL TABLE kb_fts_bigram USING fts5(title, keywords, body,
    tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE kb_fts_bigram_vocab USING fts5vocab(kb_fts_bigram, 'row');
-- Normalised plain text for substring matches of three characters or more.
CREATE VIRTUAL TABLE kb_fts_trigram USING fts5(title, keywords, body, tokenize = 'trigram');

-- Synonym groups added by admins on top of the built-in list (terms: JSON array).
CREATE TABLE kb_synonyms (
    id    INTEGER PRIMARY KEY,
    terms TEXT NOT NULL
);

-- Totals that do not belong to one article.
CREATE TABLE kb_counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
);
INSERT INTO kb_counters(name, value) VALUES ('suggested_conversations', 0), ('solved', 0);
)SQL"};

}  // namespace wedesk::kb
