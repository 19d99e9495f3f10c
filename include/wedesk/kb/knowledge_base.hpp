#pragma once
/// KnowledgeBase: the help-desk articles that deflect requests before they become tickets.
/// Articles live in SQLite with two FTS5 indexes (CJK bigrams + Latin words, and trigrams);
/// Suggest() expands the query with IT synonyms, ranks with BM25 (title above keywords above
/// body) and answers nothing when the evidence is too weak, so chit-chat gets no suggestion.
/// Import is idempotent by title; shown/opened/solved counters feed the deflection rate.
/// It learns from outcomes: 解决了 / 没解决 after an article and a ticket filed right after
/// unanswered suggestions lift or lower that article for similarly worded questions (each
/// signal halves every 30 days, the total is capped at ±50 %, an edited article starts
/// afresh); `Learning()` shows it, `ResetLearning()` forgets it.
///
/// Suggest() keeps what does not depend on the query (article count, Latin vocabulary,
/// tokenised synonym groups) in memory, tagged with the database's KB generation counter, which
/// triggers bump on every article or synonym change (from any process); it rebuilds only when
/// that counter moves. One KnowledgeBase may be shared by threads.
///
/// Every call uses the calling thread's connection. Writes join a transaction the caller has
/// already opened on that thread (a SAVEPOINT inside it), or run in their own BEGIN IMMEDIATE.
/// Nothing throws: if the database fails, reads log and answer empty, writes return
/// Error{"db", ...}, and Record* log and drop the count.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/result.hpp"

namespace wedesk::store {
class Database;
}

namespace wedesk::kb {

namespace detail {
struct SearchSnapshot;  // defined in knowledge_base.cpp
}

struct Article {
    std::int64_t id = 0;
    std::string title;
    std::string answer;
    std::vector<std::string> keywords;
};

struct Suggestion {
    std::int64_t id = 0;
    std::string title;
    double score = 0;  ///< higher is better; only comparable within one Suggest() answer
};

struct ImportReport {
    int inserted = 0;
    int updated = 0;
    int unchanged = 0;
};

struct ArticleStats {
    std::int64_t id = 0;
    std::string title;
    int shown = 0;
    int opened = 0;
    int solved = 0;
    int unsolved = 0;
};

struct KbStats {
    int conversations_with_suggestions = 0;
    int solved = 0;
    double deflection_rate = 0;  ///< solved / conversations_with_suggestions (0 when none)
    std::vector<ArticleStats> most_failing;  ///< most "没解决" first
};

/// A group of equivalent terms ("wifi", "无线", "wlan"). Built-in groups have id 0.
/// Questions that found nothing, or whose article did not solve it, grouped by similarity:
/// one row of `wedesk admin kb gaps`.
struct Gap {
    std::string sample;                 ///< the most frequent wording
    int count = 0;                      ///< questions in the group
    int not_found = 0;                  ///< of which found no article
    int unsolved = 0;                   ///< of which read an article that did not help
    std::vector<std::string> examples;  ///< other wordings (≤ 3)
    std::vector<std::string> tickets;   ///< tickets they became
};

/// What the knowledge base learned about one article (`wedesk admin kb learning`).
struct ArticleLearning {
    std::int64_t id = 0;
    std::string title;
    int solved = 0;    ///< active 解决了 signals (current version, last 180 days)
    int unsolved = 0;  ///< ... 没解决
    int tickets = 0;   ///< ... tickets filed right after it was suggested first
    /// The factor its score gets for a question worded exactly like the recorded ones, now.
    double factor = 1.0;
    std::vector<std::string> questions;  ///< recent wordings (≤ 3)
};

struct SynonymGroup {
    std::int64_t id = 0;
    bool builtin = false;
    std::vector<std::string> terms;
};

class KnowledgeBase final {
public:
    /// Longest query prefix (in characters) that is looked at; the rest is ignored.
    static constexpr std::size_t kMaxQueryChars = 200;

    /// `clock` (default: the system clock) ages the learned signals.
    explicit KnowledgeBase(store::Database& db, const Clock* clock = nullptr);

    /// Up to `max` articles for free text, best first; empty when nothing is relevant enough.
    /// Never throws; any input (emoji, punctuation, 5 KB of text, invalid UTF-8) is fine.
    std::vector<Suggestion> Suggest(const std::string& query, std::size_t max = 3);

    std::optional<Article> Get(std::int64_t id);
    /// All articles ordered by id.
    std::vector<Article> List();

    /// `.md`/`.markdown` or `.json` by extension. All-or-nothing: a bad article anywhere
    /// rejects the whole file with its line (Markdown) or index (JSON) in the message.
    Result<ImportReport> ImportFile(const std::string& path);
    /// Markdown: each `## ` heading is a title, the text below it the answer; an optional line
    /// `关键词：a, b, c` (or `Keywords: ...`) in a section sets its keywords.
    Result<ImportReport> ImportMarkdown(const std::string& text);
    /// JSON: `[{"title": "...", "answer": "...", "keywords": ["..."]?}, ...]`.
    Result<ImportReport> ImportJson(const std::string& text);
    /// Inserts or updates articles matched by normalised title (ids of `articles` are ignored).
    Result<ImportReport> Upsert(const std::vector<Article>& articles);
    Result<void> Delete(std::int64_t id);

    /// One suggestion list was shown in one conversation (counts once for the deflection rate).
    void RecordShown(const std::vector<std::int64_t>& ids);
    void RecordOpened(std::int64_t id);
    /// The user answered 解决了 (`solved`) or 没解决 after reading article `id`.
    void RecordOutcome(std::int64_t id, bool solved);
    KbStats Stats(std::size_t most_failing = 5);

    /// A question asked in chat (as typed) and whether articles were found; returns its id for
    /// the calls below (0 when it could not be recorded, which is logged, never fatal).
    /// `top_article`: the first suggestion shown (0 when none).
    std::int64_t RecordQuestion(const std::string& userid, const std::string& text, bool found,
                                std::int64_t now, std::int64_t top_article = 0);
    /// After reading `article_id` the person said 解决了 (`solved`) or 没解决: also a learning
    /// signal for that article.
    void RecordQuestionOutcome(std::int64_t question_id, std::int64_t article_id, bool solved);
    /// The question became ticket `no`. When suggestions were shown and not answered, that is
    /// a (weaker) 没解决 for the first one.
    void LinkTicket(std::int64_t question_id, const std::string& no);
    /// Articles with learned signals, the most moved first.
    std::vector<ArticleLearning> Learning();
    /// Forgets the learned signals of one article (`article_id` > 0) or of all; returns how
    /// many signals were dropped.
    Result<int> ResetLearning(std::int64_t article_id = 0);
    /// The knowledge base's gaps in [from, to): questions that found nothing or were not solved,
    /// grouped by similar wording, the largest group first (at most `limit`).
    std::vector<Gap> Gaps(std::int64_t from, std::int64_t to, std::size_t limit = 20);

    /// Built-in groups first (id 0), then the ones added with AddSynonyms.
    std::vector<SynonymGroup> ListSynonyms();
    /// Adds a group of at least two terms; returns its id.
    Result<std::int64_t> AddSynonyms(const std::vector<std::string>& terms);
    Result<void> DeleteSynonyms(std::int64_t id);

private:
    /// The snapshot for the database's current KB generation, rebuilt when it has moved.
    std::shared_ptr<const detail::SearchSnapshot> CurrentSnapshot();

    std::int64_t Now() const;

    store::Database& db_;
    const Clock* clock_;
    std::mutex snapshot_mu_;  // guards snapshot_ (the snapshot itself is immutable)
    std::shared_ptr<const detail::SearchSnapshot> snapshot_;
};

}  // namespace wedesk::kb
