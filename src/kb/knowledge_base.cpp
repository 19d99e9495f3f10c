#include "wedesk/kb/knowledge_base.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "kb/article_parser.hpp"
#include "kb/learning.hpp"
#include "kb/synonyms.hpp"
#include "kb/tokenizer.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/sql.hpp"

namespace wedesk::kb {

namespace detail {

/// One term of a synonym group, prepared once per snapshot instead of once per query.
struct SynonymTerm {
    /// How BuildQuery decides whether the query mentions the term.
    enum class Kind {
        kLatinWord,   // an ASCII word: the query has it, or a typo of it
        kSingleChar,  // one character: a one-character CJK segment of the query
        kPhrase,      // contains a space: the words in a row in the query
        kSubstring,   // anything else: a substring of the normalised query
    };
    std::string norm;              // normalised term
    std::string padded;            // " norm ", for kPhrase
    std::vector<std::string> seq;  // positional tokens
    Kind kind = Kind::kSubstring;
};

/// An article as the candidate check sees it: the positional tokens of its head (title and
/// keywords) and of its body.
struct ArticleTerms {
    std::string title;
    std::unordered_set<std::string> head;
    std::unordered_set<std::string> body;
};

struct ArticleTermsMemo {
    std::mutex mu;
    std::unordered_map<std::int64_t, std::shared_ptr<const ArticleTerms>> by_id;
    std::size_t text_bytes = 0;  // bounded: a huge knowledge base computes the rest each time
};

/// Everything Suggest needs that does not depend on the query. Immutable once built, shared by
/// the threads that read the same KB generation.
struct SearchSnapshot {
    std::optional<std::int64_t> generation;  // none: database without the counter (not cached)
    std::int64_t articles = 0;
    std::set<std::string> latin_vocab;  // index words below U+0080 plus ASCII synonym terms
    /// Bigram-index term -> number of articles containing it (absent: none).
    std::unordered_map<std::string, std::int64_t> doc_freq;
    /// Groups with their usable terms (non-empty after normalisation and tokenising), in order.
    std::vector<std::vector<SynonymTerm>> synonym_groups;
    /// Candidate articles' token sets, filled on first use (most of a suggestion's CPU time was
    /// fetching and tokenising candidates again for every query).
    std::unique_ptr<ArticleTermsMemo> terms = std::make_unique<ArticleTermsMemo>();
};

}  // namespace detail

namespace {

using detail::ArticleTerms;
using detail::SearchSnapshot;
using detail::SynonymTerm;
using nlohmann::json;
using TokenSeq = std::vector<std::string>;

// BM25 column weights: a title hit counts five body hits, a keyword hit three.
constexpr double kTitleWeight = 5.0;
constexpr double kKeywordWeight = 3.0;
constexpr double kBodyWeight = 1.0;
// What the person means against what the article is: "打印机坏了" wants the fault article
// (打印机无法打印), "新来的打印机怎么连" the how-to (添加网络打印机). Titles say their kind.
double KindFit(std::string_view query, std::string_view title) {
    const bool fault_q =
        text::ContainsAny(query, {"坏", "不能", "无法", "打不开", "连不上", "失败", "报错",
                                  "没反应", "不了", "不行", "出错", "错误", "没了", "不见"});
    const bool howto_q = text::ContainsAny(query, {"怎么", "如何", "申请", "添加", "新来的", "设置",
                                                   "怎样", "在哪", "哪里", "想装", "装个", "要装"});
    const bool fault_t =
        text::ContainsAny(title, {"无法", "不了", "打不开", "连不上", "没", "失败", "错误", "黑屏",
                                  "丢失", "慢", "不全", "错乱", "收不到", "发不出"});
    const bool howto_t =
        text::ContainsAny(title, {"如何", "怎么", "申请", "添加", "设置", "使用", "用"});
    if (fault_q && !howto_q) {
        return fault_t ? 1.15 : 1.0;
    }
    if (howto_q && !fault_q) {
        return howto_t ? 1.15 : 1.0;
    }
    return 1.0;
}

// Suggestions scoring under this share of the best one are left out (no padding).
constexpr double kPadFloor = 0.4;
// Share of the trigram and single-character passes in the fused score.
constexpr double kTrigramShare = 0.5;
constexpr double kSingleShare = 0.3;
constexpr std::size_t kMaxPhrases = 160;
constexpr std::size_t kCandidates = 12;
constexpr std::size_t kFtsLimit = 50;
constexpr std::int64_t kMinArticlesForDf = 8;
constexpr std::uintmax_t kMaxImportFileBytes = 16u * 1024u * 1024u;

const std::set<std::string>& LatinStopwords() {
    static const std::set<std::string> words = {
        "a",      "an",     "the",     "is",   "are",   "am",      "was",    "were",   "to",
        "of",     "in",     "on",      "at",   "my",    "i",       "it",     "its",    "me",
        "you",    "we",     "not",     "no",   "can",   "cant",    "cannot", "do",     "does",
        "dont",   "doesnt", "how",     "what", "why",   "when",    "where",  "please", "help",
        "and",    "or",     "for",     "with", "be",    "this",    "that",   "have",   "has",
        "get",    "got",    "working", "work", "works", "problem", "issue",  "hi",     "hello",
        "thanks", "thank",  "ok",      "okay", "will",  "would",   "should", "could",  "there",
        "any",    "some",   "up",      "so",   "just",  "again",   "still",  "always", "after",
        "from",   "by",     "as",      "if",   "all",   "out",     "into",   "about",  "but"};
    return words;
}

// Bigrams that occur in every kind of request; they rank but are no evidence of relevance.
const std::set<std::string>& GenericBigrams() {
    static const std::set<std::string> words = {
        "不了", "不到", "不上", "不出", "不去", "不行", "不好", "没有", "可以", "需要", "出现",
        "显示", "提示", "问题", "公司", "有个", "一个", "还有", "时候", "这样", "那样", "自己",
        "东西", "情况", "办法", "知道", "应该", "没法", "能否", "为何", "同事", "今天", "昨天",
        "刚才", "刚刚", "上午", "下午", "明天", "使用", "里面", "上面", "下面", "想要", "要求",
        "申请", "打开", "一张", "两个", "几个", "多少", "哪里", "哪个", "到底", "可能", "感觉",
        "不会", "不知", "知道", "告诉", "一样", "所有", "其他", "别人", "大家", "这里", "那里"};
    return words;
}

std::string Join(const TokenSeq& seq) {
    std::string out;
    for (const auto& t : seq) {
        if (!out.empty()) {
            out.push_back(' ');
        }
        out += t;
    }
    return out;
}

// Our tokens hold only letters, digits and CJK; quoting is still done properly so no user
// text can ever reach FTS5 query syntax.
std::string Phrase(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        out.push_back(c);
        if (c == '"') {
            out.push_back('"');
        }
    }
    out.push_back('"');
    return out;
}

std::string OrExpr(const std::vector<std::string>& phrases) {
    std::string out;
    for (const auto& p : phrases) {
        if (!out.empty()) {
            out += " OR ";
        }
        out += Phrase(p);
    }
    return out;
}

// Optimal-string-alignment distance, giving up above `limit`.
std::size_t EditDistance(const std::string& a, const std::string& b, std::size_t limit) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    if ((n > m ? n - m : m - n) > limit) {
        return limit + 1;
    }
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= m; ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[n][m];
}

bool HasDigit(const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Words of the vocabulary within typo distance of `w` ("outlok" -> "outlook").
std::vector<std::string> FuzzyMatches(const std::string& w, const std::set<std::string>& vocab) {
    std::vector<std::string> out;
    if (w.size() < 3 || HasDigit(w) || vocab.count(w) > 0) {
        return out;
    }
    const std::size_t limit = w.size() >= 8 ? 2 : 1;
    for (const auto& v : vocab) {
        if (v.size() < 3 || HasDigit(v)) {
            continue;
        }
        const std::size_t d = EditDistance(w, v, limit);
        if (d > limit) {
            continue;
        }
        // Three letters leave room for nothing but a swap ("vnp" -> "vpn").
        if (w.size() == 3) {
            std::string a = w;
            std::string b = v;
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            if (a != b) {
                continue;
            }
        }
        out.push_back(v);
    }
    return out;
}

// One thing the query asks about: alternatives (token sequences) any of which may match.
struct Unit {
    std::vector<TokenSeq> alts;
    bool evidence = true;  // counts toward the relevance threshold
};

struct Query {
    std::vector<Unit> units;
    std::vector<std::string> singles;   // characters, for the typo-tolerant pass
    std::vector<std::string> trigrams;  // three-character windows, for the trigram index
};

std::vector<std::string> Utf8Chars(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = 1;
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) {
            ++n;
        }
        out.emplace_back(s.substr(i, n));
        i += n;
    }
    return out;
}

Query BuildQuery(const std::string& norm, const SearchSnapshot& snap) {
    Query q;
    const auto segs = tok::Segments(norm);
    std::set<std::string> latin_forms;  // query words and their typo corrections
    std::set<std::string> standalone;   // one-character CJK segments
    std::set<std::string> seen_units;

    auto add_unit = [&](Unit u) {
        std::string key;
        for (const auto& a : u.alts) {
            key += Join(a) + "|";
        }
        if (!u.alts.empty() && seen_units.insert(key).second) {
            q.units.push_back(std::move(u));
        }
    };

    for (const auto& seg : segs) {
        if (!seg.cjk) {
            if (LatinStopwords().count(seg.text) > 0) {
                continue;
            }
            Unit u;
            u.alts.push_back({seg.text});
            latin_forms.insert(seg.text);
            for (auto& f : FuzzyMatches(seg.text, snap.latin_vocab)) {
                latin_forms.insert(f);
                u.alts.push_back({f});
            }
            add_unit(std::move(u));
        } else if (seg.chars.size() == 1) {
            standalone.insert(seg.chars[0]);
            Unit u;
            u.alts.push_back({seg.chars[0]});
            u.evidence = false;
            add_unit(std::move(u));
        } else {
            for (std::size_t k = 0; k + 1 < seg.chars.size(); ++k) {
                Unit u;
                u.alts.push_back({seg.chars[k] + seg.chars[k + 1]});
                u.evidence = GenericBigrams().count(u.alts[0][0]) == 0;
                add_unit(std::move(u));
            }
            for (const auto& c : seg.chars) {
                if (std::find(q.singles.begin(), q.singles.end(), c) == q.singles.end()) {
                    q.singles.push_back(c);
                }
            }
        }
    }

    // A synonym group the query mentions becomes one unit: any of its terms may match.
    const std::string padded = " " + norm + " ";
    auto mentioned = [&](const SynonymTerm& t) {
        switch (t.kind) {
            case SynonymTerm::Kind::kLatinWord:
                return latin_forms.count(t.norm) > 0;
            case SynonymTerm::Kind::kSingleChar:
                return standalone.count(t.norm) > 0;
            case SynonymTerm::Kind::kPhrase:
                return padded.find(t.padded) != std::string::npos;
            case SynonymTerm::Kind::kSubstring:
                break;
        }
        return norm.find(t.norm) != std::string::npos;
    };
    for (const auto& group : snap.synonym_groups) {
        if (std::any_of(group.begin(), group.end(), mentioned)) {
            Unit u;
            for (const auto& t : group) {
                u.alts.push_back(t.seq);
            }
            add_unit(std::move(u));
        }
    }

    // Trigram windows over each space-separated piece of the query.
    std::set<std::string> seen_tri;
    std::size_t start = 0;
    while (start < norm.size()) {
        std::size_t end = norm.find(' ', start);
        if (end == std::string::npos) {
            end = norm.size();
        }
        const auto chars = Utf8Chars(std::string_view(norm).substr(start, end - start));
        for (std::size_t k = 0; k + 2 < chars.size(); ++k) {
            std::string tri = chars[k] + chars[k + 1] + chars[k + 2];
            if (seen_tri.insert(tri).second) {
                q.trigrams.push_back(std::move(tri));
            }
        }
        start = end + 1;
    }
    return q;
}

// The ranking query of one FTS table.
std::string PassSql(const std::string& table) {
    const std::string weights = std::to_string(kTitleWeight) + ", " +
                                std::to_string(kKeywordWeight) + ", " + std::to_string(kBodyWeight);
    return "SELECT rowid, bm25(" + table + ", " + weights + ") FROM " + table + " WHERE " + table +
           " MATCH ? ORDER BY 2 LIMIT " + std::to_string(kFtsLimit);
}

// Ranking queries, built once.
const std::string& BigramPassSql() {
    static const std::string sql = PassSql("kb_fts_bigram");
    return sql;
}
const std::string& TrigramPassSql() {
    static const std::string sql = PassSql("kb_fts_trigram");
    return sql;
}

// Runs one MATCH (`sql` from *PassSql()) and adds share * -bm25 to each row's score.
void RunPass(store::Database& db, const std::string& sql, const std::vector<std::string>& phrases,
             double share, std::map<std::int64_t, double>& scores) {
    if (phrases.empty()) {
        return;
    }
    std::vector<std::string> capped(
        phrases.begin(),
        phrases.begin() + static_cast<std::ptrdiff_t>(std::min(phrases.size(), kMaxPhrases)));
    store::Query st(db.Conn(), sql);
    st.bind(1, OrExpr(capped));
    while (st.executeStep()) {
        scores[st.getColumn(0).getInt64()] += -st.getColumn(1).getDouble() * share;
    }
}

std::string KeywordText(const std::vector<std::string>& kws) {
    std::string out;
    for (const auto& k : kws) {
        if (!out.empty()) {
            out += ", ";
        }
        out += k;
    }
    return out;
}

std::vector<std::string> ParseKeywords(const std::string& s) {
    std::vector<std::string> out;
    const auto j = json::parse(s, nullptr, false);
    if (j.is_array()) {
        for (const auto& e : j) {
            if (e.is_string()) {
                out.push_back(e.get<std::string>());
            }
        }
    }
    return out;
}

std::string KeywordsJson(const std::vector<std::string>& kws) {
    return json(kws).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::set<std::string> PositionalSet(std::string_view raw) {
    const auto toks = tok::PositionalTokens(tok::Segments(tok::Normalize(raw, std::string::npos)));
    return {toks.begin(), toks.end()};
}

/// The token sets of article `id` (nullptr when it is gone), memoised in the snapshot: an edited
/// article changes the generation and so gets a new snapshot.
std::shared_ptr<const ArticleTerms> TermsOf(store::Conn& conn, const SearchSnapshot& snap,
                                            std::int64_t id) {
    constexpr std::size_t kMaxTextBytes = 4 * 1024 * 1024;
    auto& memo = *snap.terms;
    {
        std::lock_guard lock(memo.mu);
        if (auto it = memo.by_id.find(id); it != memo.by_id.end()) {
            return it->second;
        }
    }
    store::Query get(conn, "SELECT title, answer, keywords FROM kb_articles WHERE id = ?");
    get.bind(1, static_cast<std::int64_t>(id));
    if (!get.executeStep()) {
        return nullptr;
    }
    auto t = std::make_shared<ArticleTerms>();
    t->title = get.getColumn(0).getString();
    const std::string answer = get.getColumn(1).getString();
    const auto head =
        PositionalSet(t->title + "\n" + KeywordText(ParseKeywords(get.getColumn(2).getString())));
    const auto body = PositionalSet(answer);
    t->head.insert(head.begin(), head.end());
    t->body.insert(body.begin(), body.end());
    std::lock_guard lock(memo.mu);
    if (memo.text_bytes + answer.size() <= kMaxTextBytes) {
        memo.text_bytes += answer.size();
        memo.by_id.emplace(id, t);
    }
    return t;
}

bool Contains(const std::unordered_set<std::string>& set, const TokenSeq& seq) {
    return std::all_of(seq.begin(), seq.end(), [&](const auto& t) { return set.count(t) > 0; });
}

void IndexArticle(store::Conn& conn, std::int64_t id, const Article& a) {
    const std::string kws = KeywordText(a.keywords);
    for (const char* table : {"kb_fts_bigram", "kb_fts_trigram"}) {
        store::Query del(conn, std::string("DELETE FROM ") + table + " WHERE rowid = ?");
        del.bind(1, static_cast<std::int64_t>(id));
        del.exec();
    }
    store::Query big(conn,
                     "INSERT INTO kb_fts_bigram(rowid, title, keywords, body) "
                     "VALUES (?, ?, ?, ?)");
    big.bind(1, static_cast<std::int64_t>(id));
    big.bind(2, tok::IndexText(a.title));
    big.bind(3, tok::IndexText(kws));
    big.bind(4, tok::IndexText(a.answer));
    big.exec();
    store::Query tri(conn,
                     "INSERT INTO kb_fts_trigram(rowid, title, keywords, body) "
                     "VALUES (?, ?, ?, ?)");
    tri.bind(1, static_cast<std::int64_t>(id));
    tri.bind(2, tok::Normalize(a.title, std::string::npos));
    tri.bind(3, tok::Normalize(kws, std::string::npos));
    tri.bind(4, tok::Normalize(a.answer, std::string::npos));
    tri.exec();
}

/// Merges each full-text index into one segment. Every import leaves new segments behind, and a
/// query looks each term up once per segment: with the sample KB imported once, 7 segments made
/// a search 2.5x slower than one. Run after writes, which are rare (admin imports).
void OptimizeIndexes(store::Conn& conn) {
    conn.exec("INSERT INTO kb_fts_bigram(kb_fts_bigram) VALUES ('optimize')");
    conn.exec("INSERT INTO kb_fts_trigram(kb_fts_trigram) VALUES ('optimize')");
}

Article ReadArticle(store::Query& st) {
    Article a;
    a.id = st.getColumn(0).getInt64();
    a.title = st.getColumn(1).getString();
    a.answer = st.getColumn(2).getString();
    a.keywords = ParseKeywords(st.getColumn(3).getString());
    return a;
}

void ReadStats(store::Conn& conn, std::size_t most_failing, KbStats& s) {
    {
        store::Query st(conn, "SELECT name, value FROM kb_counters");
        while (st.executeStep()) {
            const std::string name = st.getColumn(0).getString();
            const int v = st.getColumn(1).getInt();
            if (name == "suggested_conversations") {
                s.conversations_with_suggestions = v;
            } else if (name == "solved") {
                s.solved = v;
            }
        }
    }
    s.deflection_rate = s.conversations_with_suggestions > 0
                            ? static_cast<double>(s.solved) / s.conversations_with_suggestions
                            : 0.0;
    store::Query st(conn,
                    "SELECT id, title, shown, opened, solved, unsolved FROM kb_articles "
                    "WHERE unsolved > 0 ORDER BY unsolved DESC, solved ASC, id LIMIT ?");
    st.bind(1, static_cast<std::int64_t>(most_failing));
    while (st.executeStep()) {
        s.most_failing.push_back(ArticleStats{
            st.getColumn(0).getInt64(), st.getColumn(1).getString(), st.getColumn(2).getInt(),
            st.getColumn(3).getInt(), st.getColumn(4).getInt(), st.getColumn(5).getInt()});
    }
}

// The KB generation (see src/store/schema_kb_generation.cpp); none before migration 7.
std::optional<std::int64_t> ReadGeneration(store::Database& db) {
    static const std::string kSql = "SELECT value FROM kb_counters WHERE name = 'generation'";
    store::Query st(db.Conn(), kSql);
    if (st.executeStep()) {
        return st.getColumn(0).getInt64();
    }
    return std::nullopt;
}

// A group's terms as BuildQuery uses them; terms that normalise or tokenise to nothing are
// dropped. ASCII-word terms join `latin_vocab`, so typos of them are corrected too.
std::vector<SynonymTerm> PrepareGroup(const std::vector<std::string>& terms,
                                      std::set<std::string>& latin_vocab) {
    std::vector<SynonymTerm> out;
    for (const auto& raw : terms) {
        SynonymTerm t;
        t.norm = tok::Normalize(raw, KnowledgeBase::kMaxQueryChars);
        if (t.norm.empty()) {
            continue;
        }
        const bool latin = tok::IsAsciiWord(t.norm);
        if (latin) {
            latin_vocab.insert(t.norm);
        }
        t.seq = tok::PositionalTokens(tok::Segments(t.norm));
        if (t.seq.empty()) {
            continue;
        }
        if (latin) {
            t.kind = SynonymTerm::Kind::kLatinWord;
        } else if (Utf8Chars(t.norm).size() == 1) {
            t.kind = SynonymTerm::Kind::kSingleChar;
        } else if (t.norm.find(' ') != std::string::npos) {
            t.kind = SynonymTerm::Kind::kPhrase;
            t.padded = " " + t.norm + " ";
        }
        out.push_back(std::move(t));
    }
    return out;
}

// Reads and prepares everything Suggest needs apart from the query. Reads after `generation`,
// so the contents are at least as new as the tag (a newer one only costs one more rebuild).
SearchSnapshot BuildSnapshot(store::Conn& conn, std::optional<std::int64_t> generation) {
    SearchSnapshot snap;
    snap.generation = generation;
    snap.articles = conn.execAndGet("SELECT count(*) FROM kb_articles").getInt64();
    {
        store::Query st(conn, "SELECT term, doc, term < char(128) FROM kb_fts_bigram_vocab");
        while (st.executeStep()) {
            std::string term = st.getColumn(0).getString();
            if (st.getColumn(2).getInt() != 0) {
                snap.latin_vocab.insert(term);
            }
            snap.doc_freq.emplace(std::move(term), st.getColumn(1).getInt64());
        }
    }
    std::vector<std::vector<std::string>> groups = BuiltinSynonyms();
    {
        store::Query st(conn, "SELECT terms FROM kb_synonyms ORDER BY id");
        while (st.executeStep()) {
            groups.push_back(ParseKeywords(st.getColumn(0).getString()));
        }
    }
    for (const auto& g : groups) {
        auto terms = PrepareGroup(g, snap.latin_vocab);
        if (!terms.empty()) {
            snap.synonym_groups.push_back(std::move(terms));
        }
    }
    return snap;
}

}  // namespace

std::shared_ptr<const SearchSnapshot> KnowledgeBase::CurrentSnapshot() {
    auto& conn = db_.Conn();
    const auto generation = ReadGeneration(db_);
    if (generation) {
        std::lock_guard lock(snapshot_mu_);
        if (snapshot_ && snapshot_->generation == generation) {
            return snapshot_;
        }
    }
    // Built outside the lock, so threads that find the snapshot current are never held up.
    // Cached even inside a caller's transaction (the bot's): generations only grow by random
    // steps, so one read from uncommitted changes that are then rolled back is not mistaken
    // for a later committed state.
    auto snap = std::make_shared<const SearchSnapshot>(BuildSnapshot(conn, generation));
    if (generation) {
        std::lock_guard lock(snapshot_mu_);
        snapshot_ = snap;
    }
    return snap;
}

KnowledgeBase::KnowledgeBase(store::Database& db, const Clock* clock) : db_(db), clock_(clock) {}

std::int64_t KnowledgeBase::Now() const {
    if (clock_ != nullptr) {
        return clock_->NowSeconds();
    }
    static const SystemClock system;
    return system.NowSeconds();
}

std::vector<Suggestion> KnowledgeBase::Suggest(const std::string& query, std::size_t max) {
    if (max == 0) {
        return {};
    }
    // Bytes beyond 4 per kept character cannot survive normalisation: cut early so 5 KB of
    // text costs no more than 200 characters.
    const std::string norm =
        tok::Normalize(text::TruncateUtf8(query, kMaxQueryChars * 8), kMaxQueryChars);
    if (norm.empty()) {
        return {};
    }
    try {
        auto& conn = db_.Conn();
        const auto snap = CurrentSnapshot();
        const std::int64_t total = snap->articles;
        if (total == 0) {
            return {};
        }
        Query q = BuildQuery(norm, *snap);
        // In a knowledge base of some size, a term found in most articles ("电脑") says
        // nothing about which one is meant: it still ranks, but is no evidence.
        if (total >= kMinArticlesForDf) {
            auto doc_freq = [&](const std::string& term) -> std::int64_t {
                const auto it = snap->doc_freq.find(term);
                return it == snap->doc_freq.end() ? 0 : it->second;
            };
            for (auto& u : q.units) {
                if (!u.evidence) {
                    continue;
                }
                std::int64_t best = 0;
                for (const auto& alt : u.alts) {
                    std::int64_t m = total;
                    for (const auto& t : alt) {
                        m = std::min(m, doc_freq(t));
                    }
                    best = std::max(best, m);
                }
                u.evidence = best * 2 <= total;
            }
        }

        std::vector<std::string> phrases;
        std::set<std::string> seen;
        for (const auto& u : q.units) {
            for (const auto& alt : u.alts) {
                std::string p = Join(alt);
                if (seen.insert(p).second) {
                    phrases.push_back(std::move(p));
                }
            }
        }
        std::map<std::int64_t, double> scores;
        RunPass(db_, BigramPassSql(), phrases, 1.0, scores);
        RunPass(db_, BigramPassSql(), q.singles, kSingleShare, scores);
        RunPass(db_, TrigramPassSql(), q.trigrams, kTrigramShare, scores);

        std::vector<std::pair<std::int64_t, double>> ranked(scores.begin(), scores.end());
        std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
            return a.second != b.second ? a.second > b.second : a.first < b.first;
        });
        if (ranked.size() > kCandidates) {
            ranked.resize(kCandidates);
        }

        std::vector<Suggestion> out;
        for (const auto& [id, score] : ranked) {
            const auto terms = TermsOf(conn, *snap, id);
            if (!terms) {
                continue;
            }
            const auto& head = terms->head;
            const auto& body = terms->body;
            int strong = 0;
            int weak = 0;
            for (const auto& u : q.units) {
                if (!u.evidence) {
                    continue;
                }
                const bool in_head = std::any_of(u.alts.begin(), u.alts.end(),
                                                 [&](const auto& s) { return Contains(head, s); });
                const bool in_body = std::any_of(u.alts.begin(), u.alts.end(),
                                                 [&](const auto& s) { return Contains(body, s); });
                strong += in_head ? 1 : 0;
                weak += (!in_head && in_body) ? 1 : 0;
            }
            if (strong == 0 && weak < 2) {
                continue;
            }
            out.push_back(Suggestion{id, terms->title, score * KindFit(norm, terms->title)});
        }
        // What people said about these articles for questions like this one.
        std::vector<std::int64_t> ids;
        for (const auto& x : out) {
            ids.push_back(x.id);
        }
        const auto learned = learn::Factors(conn, norm, ids, Now());
        for (auto& x : out) {
            if (const auto it = learned.find(x.id); it != learned.end()) {
                x.score *= it->second;
            }
        }
        std::stable_sort(out.begin(), out.end(),
                         [](const auto& a, const auto& b) { return a.score > b.score; });
        // Never pad the list: an article scoring far below the best one is noise to the person
        // reading it ("开不了机" does not need the VPN article under the right one).
        if (!out.empty()) {
            const double floor = out.front().score * kPadFloor;
            out.erase(std::remove_if(out.begin() + 1, out.end(),
                                     [&](const Suggestion& x) { return x.score < floor; }),
                      out.end());
        }
        if (out.size() > max) {
            out.resize(max);
        }
        return out;
    } catch (const store::Error& e) {
        log::Get("kb")->warn("suggest failed: {}", e.what());
        return {};
    }
}

std::optional<Article> KnowledgeBase::Get(std::int64_t id) {
    try {
        store::Query st(db_.Conn(),
                        "SELECT id, title, answer, keywords FROM kb_articles WHERE id = ?");
        st.bind(1, static_cast<std::int64_t>(id));
        if (st.executeStep()) {
            return ReadArticle(st);
        }
    } catch (const store::Error& e) {
        log::Get("kb")->warn("get article {} failed: {}", id, e.what());
    }
    return std::nullopt;
}

std::vector<Article> KnowledgeBase::List() {
    std::vector<Article> out;
    try {
        store::Query st(db_.Conn(),
                        "SELECT id, title, answer, keywords FROM kb_articles ORDER BY id");
        while (st.executeStep()) {
            out.push_back(ReadArticle(st));
        }
    } catch (const store::Error& e) {
        log::Get("kb")->warn("list failed: {}", e.what());
    }
    return out;
}

Result<ImportReport> KnowledgeBase::ImportFile(const std::string& path) {
    namespace fs = std::filesystem;
    std::string ext = text::AsciiLower(fs::path(path).extension().string());
    const bool md = ext == ".md" || ext == ".markdown";
    const bool js = ext == ".json";
    if (!md && !js) {
        return Fail(Errc::kBadFormat, "unknown file type '" + ext + "' (expected .md or .json)");
    }
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        return Fail(Errc::kIo, "cannot read " + path + ": " + ec.message());
    }
    if (size > kMaxImportFileBytes) {
        return Fail(Errc::kBadInput, path + " is larger than 16 MB");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Fail(Errc::kIo, "cannot open " + path);
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    return md ? ImportMarkdown(buf.str()) : ImportJson(buf.str());
}

Result<ImportReport> KnowledgeBase::ImportMarkdown(const std::string& text_in) {
    auto parsed = ParseMarkdown(text_in);
    if (!parsed) {
        return parsed.error();
    }
    return Upsert(*parsed);
}

Result<ImportReport> KnowledgeBase::ImportJson(const std::string& text_in) {
    auto parsed = ParseJson(text_in);
    if (!parsed) {
        return parsed.error();
    }
    return Upsert(*parsed);
}

Result<ImportReport> KnowledgeBase::Upsert(const std::vector<Article>& articles) {
    std::vector<Article> clean;
    std::set<std::string> keys;
    for (const auto& a : articles) {
        auto c = CleanArticle(a);
        if (!c) {
            return c.error();
        }
        if (!keys.insert(TitleKey(c->title)).second) {
            return Fail(Errc::kBadInput, "duplicate title '" + c->title + "'");
        }
        clean.push_back(std::move(*c));
    }
    ImportReport report;
    try {
        store::StepTx ws(db_, "kb_write");
        auto& conn = ws.Conn();
        store::Query find(
            conn, "SELECT id, title, answer, keywords FROM kb_articles WHERE title_key = ?");
        for (const auto& a : clean) {
            const std::string key = TitleKey(a.title);
            const std::string kws = KeywordsJson(a.keywords);
            find.reset();
            find.bind(1, key);
            if (!find.executeStep()) {
                store::Query ins(conn,
                                 "INSERT INTO kb_articles(title, title_key, answer, keywords) "
                                 "VALUES (?, ?, ?, ?)");
                ins.bind(1, a.title);
                ins.bind(2, key);
                ins.bind(3, a.answer);
                ins.bind(4, kws);
                ins.exec();
                IndexArticle(conn, conn.getLastInsertRowid(), a);
                ++report.inserted;
                continue;
            }
            const std::int64_t id = find.getColumn(0).getInt64();
            if (find.getColumn(1).getString() == a.title &&
                find.getColumn(2).getString() == a.answer && find.getColumn(3).getString() == kws) {
                ++report.unchanged;
                continue;
            }
            store::Query upd(
                conn, "UPDATE kb_articles SET title = ?, answer = ?, keywords = ? WHERE id = ?");
            upd.bind(1, a.title);
            upd.bind(2, a.answer);
            upd.bind(3, kws);
            upd.bind(4, static_cast<std::int64_t>(id));
            upd.exec();
            IndexArticle(conn, id, a);
            ++report.updated;
        }
        find.reset();
        if (report.inserted + report.updated > 0) {
            OptimizeIndexes(conn);
        }
        ws.Commit();
    } catch (const store::Error& e) {
        return Fail(Errc::kDb, std::string("knowledge base write failed: ") + e.what());
    }
    log::Get("kb")->info("import: {} inserted, {} updated, {} unchanged", report.inserted,
                         report.updated, report.unchanged);
    return report;
}

Result<void> KnowledgeBase::Delete(std::int64_t id) {
    try {
        store::StepTx ws(db_, "kb_write");
        auto& conn = ws.Conn();
        store::Query del(conn, "DELETE FROM kb_articles WHERE id = ?");
        del.bind(1, static_cast<std::int64_t>(id));
        if (del.exec() == 0) {
            return Fail(Errc::kNotFound, "no article " + std::to_string(id));
        }
        for (const char* table : {"kb_fts_bigram", "kb_fts_trigram"}) {
            store::Query st(conn, std::string("DELETE FROM ") + table + " WHERE rowid = ?");
            st.bind(1, static_cast<std::int64_t>(id));
            st.exec();
        }
        OptimizeIndexes(conn);
        ws.Commit();
        return {};
    } catch (const store::Error& e) {
        return Fail(Errc::kDb, std::string("delete failed: ") + e.what());
    }
}

void KnowledgeBase::RecordShown(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) {
        return;
    }
    try {
        store::StepTx ws(db_, "kb_write");
        auto& conn = ws.Conn();
        store::Query st(conn, "UPDATE kb_articles SET shown = shown + 1 WHERE id = ?");
        for (const auto id : std::set<std::int64_t>(ids.begin(), ids.end())) {
            st.reset();
            st.bind(1, static_cast<std::int64_t>(id));
            st.exec();
        }
        conn.exec(
            "UPDATE kb_counters SET value = value + 1 WHERE name = 'suggested_conversations'");
        ws.Commit();
    } catch (const store::Error& e) {
        log::Get("kb")->warn("record shown failed: {}", e.what());
    }
}

void KnowledgeBase::RecordOpened(std::int64_t id) {
    try {
        store::StepTx ws(db_, "kb_write");
        auto& conn = ws.Conn();
        store::Query st(conn, "UPDATE kb_articles SET opened = opened + 1 WHERE id = ?");
        st.bind(1, static_cast<std::int64_t>(id));
        st.exec();
        ws.Commit();
    } catch (const store::Error& e) {
        log::Get("kb")->warn("record opened failed: {}", e.what());
    }
}

void KnowledgeBase::RecordOutcome(std::int64_t id, bool solved) {
    try {
        store::StepTx ws(db_, "kb_write");
        auto& conn = ws.Conn();
        store::Query st(conn, solved ? "UPDATE kb_articles SET solved = solved + 1 WHERE id = ?"
                                     : "UPDATE kb_articles SET unsolved = unsolved + 1 "
                                       "WHERE id = ?");
        st.bind(1, static_cast<std::int64_t>(id));
        st.exec();
        if (solved) {
            conn.exec("UPDATE kb_counters SET value = value + 1 WHERE name = 'solved'");
        }
        ws.Commit();
    } catch (const store::Error& e) {
        log::Get("kb")->warn("record outcome failed: {}", e.what());
    }
}

KbStats KnowledgeBase::Stats(std::size_t most_failing) {
    KbStats s;
    try {
        ReadStats(db_.Conn(), most_failing, s);
    } catch (const store::Error& e) {
        log::Get("kb")->warn("stats failed: {}", e.what());
    }
    return s;
}

std::vector<SynonymGroup> KnowledgeBase::ListSynonyms() {
    std::vector<SynonymGroup> out;
    for (const auto& g : BuiltinSynonyms()) {
        out.push_back(SynonymGroup{0, true, g});
    }
    try {
        store::Query st(db_.Conn(), "SELECT id, terms FROM kb_synonyms ORDER BY id");
        while (st.executeStep()) {
            out.push_back(SynonymGroup{st.getColumn(0).getInt64(), false,
                                       ParseKeywords(st.getColumn(1).getString())});
        }
    } catch (const store::Error& e) {
        log::Get("kb")->warn("list synonyms failed: {}", e.what());
    }
    return out;
}

Result<std::int64_t> KnowledgeBase::AddSynonyms(const std::vector<std::string>& terms) {
    std::vector<std::string> clean;
    std::set<std::string> seen;
    for (const auto& t : terms) {
        std::string c = text::Trim(t);
        if (!text::IsValidUtf8(c) || text::Utf8Length(c) > 40) {
            return Fail(Errc::kBadInput, "synonym terms must be UTF-8 of at most 40 characters");
        }
        if (!tok::Normalize(c, kMaxQueryChars).empty() && seen.insert(text::AsciiLower(c)).second) {
            clean.push_back(std::move(c));
        }
    }
    if (clean.size() < 2) {
        return Fail(Errc::kBadInput, "a synonym group needs at least two different terms");
    }
    try {
        store::StepTx ws(db_, "kb_write");
        auto& conn = ws.Conn();
        store::Query st(conn, "INSERT INTO kb_synonyms(terms) VALUES (?)");
        st.bind(1, KeywordsJson(clean));
        st.exec();
        const auto id = conn.getLastInsertRowid();
        ws.Commit();
        return static_cast<std::int64_t>(id);
    } catch (const store::Error& e) {
        return Fail(Errc::kDb, std::string("add synonyms failed: ") + e.what());
    }
}

Result<void> KnowledgeBase::DeleteSynonyms(std::int64_t id) {
    try {
        store::StepTx ws(db_, "kb_write");
        auto& conn = ws.Conn();
        store::Query st(conn, "DELETE FROM kb_synonyms WHERE id = ?");
        st.bind(1, static_cast<std::int64_t>(id));
        if (st.exec() == 0) {
            return Fail(Errc::kNotFound, "no synonym group " + std::to_string(id) +
                                             " (built-in groups cannot be deleted)");
        }
        ws.Commit();
        return {};
    } catch (const store::Error& e) {
        return Fail(Errc::kDb, std::string("delete synonyms failed: ") + e.what());
    }
}

}  // namespace wedesk::kb

namespace wedesk::kb {

namespace {

// Questions this alike are one gap ("Z盘不见了" / "z盘不见了怎么办").
constexpr double kSameGap = 0.4;

}  // namespace

std::int64_t KnowledgeBase::RecordQuestion(const std::string& userid, const std::string& text,
                                           bool found, std::int64_t now, std::int64_t top_article) {
    try {
        store::StepTx ws(db_);
        store::Query q(ws.Conn(),
                       "INSERT INTO kb_questions(asked_at, userid, text, outcome, top_article) "
                       "VALUES (?, ?, ?, ?, ?)");
        q.bind(1, now);
        q.bind(2, userid);
        q.bind(3, text::TruncateUtf8(text, 2000));
        q.bind(4, std::string(found ? "shown" : "none"));
        q.bind(5, found ? top_article : std::int64_t{0});
        q.exec();
        const std::int64_t id = ws.Conn().getLastInsertRowid();
        ws.Commit();
        return id;
    } catch (const store::Error& e) {
        log::Get("kb")->warn("record question failed: {}", e.what());
        return 0;
    }
}

void KnowledgeBase::RecordQuestionOutcome(std::int64_t question_id, std::int64_t article_id,
                                          bool solved) {
    if (question_id <= 0) {
        return;
    }
    try {
        store::StepTx ws(db_, "wedesk_kb_outcome");
        store::Query q(ws.Conn(),
                       "UPDATE kb_questions SET outcome = ?, article_id = ? WHERE id = ? "
                       "RETURNING text");
        q.bind(1, std::string(solved ? "solved" : "unsolved"));
        q.bind(2, article_id);
        q.bind(3, question_id);
        const bool found = q.executeStep();
        const std::string asked = found ? q.getColumn(0).getString() : "";
        q.reset();  // before the next statement and the commit
        if (found) {
            learn::Record(ws.Conn(), article_id, tok::Normalize(asked, kMaxQueryChars),
                          solved ? learn::Signal::kSolved : learn::Signal::kUnsolved, Now());
        }
        ws.Commit();
    } catch (const store::Error& e) {
        log::Get("kb")->warn("record question outcome failed: {}", e.what());
    }
}

void KnowledgeBase::LinkTicket(std::int64_t question_id, const std::string& no) {
    if (question_id <= 0) {
        return;
    }
    try {
        store::StepTx ws(db_, "wedesk_kb_ticket");
        store::Query q(ws.Conn(),
                       "UPDATE kb_questions SET ticket_no = ? WHERE id = ? "
                       "RETURNING text, outcome, top_article");
        q.bind(1, no);
        q.bind(2, question_id);
        const bool found = q.executeStep();
        const std::string asked = found ? q.getColumn(0).getString() : "";
        const bool unanswered = found && q.getColumn(1).getString() == "shown";
        const std::int64_t top = found ? q.getColumn(2).getInt64() : 0;
        q.reset();  // before the next statement and the commit
        if (unanswered && top > 0) {
            // Suggestions were shown, nobody said they helped, and a ticket followed.
            learn::Record(ws.Conn(), top, tok::Normalize(asked, kMaxQueryChars),
                          learn::Signal::kTicket, Now());
        }
        ws.Commit();
    } catch (const store::Error& e) {
        log::Get("kb")->warn("link ticket failed: {}", e.what());
    }
}

std::vector<ArticleLearning> KnowledgeBase::Learning() {
    std::vector<ArticleLearning> out;
    try {
        const auto now = Now();
        store::Query q(
            db_.Conn(),
            "SELECT a.id, a.title, f.kind, f.question, f.signal, f.at FROM kb_feedback f "
            "JOIN kb_articles a ON a.id = f.article_id AND a.version = "
            "f.article_version WHERE f.active = 1 AND f.at >= ? "
            "ORDER BY a.id, f.at DESC");
        q.bind(1, now - learn::kMaxAgeDays * 86400);
        std::map<std::int64_t, double> sums;
        while (q.executeStep()) {
            const auto id = q.getColumn(0).getInt64();
            if (out.empty() || out.back().id != id) {
                out.push_back(ArticleLearning{id, q.getColumn(1).getString(), 0, 0, 0, 1.0, {}});
            }
            auto& a = out.back();
            const std::string kind = q.getColumn(2).getString();
            (kind == "solved" ? a.solved : kind == "unsolved" ? a.unsolved : a.tickets) += 1;
            const std::string question = q.getColumn(3).getString();
            if (a.questions.size() < 3 &&
                std::find(a.questions.begin(), a.questions.end(), question) == a.questions.end()) {
                a.questions.push_back(question);
            }
            const double age = static_cast<double>(now - q.getColumn(5).getInt64()) / 86400;
            sums[id] += q.getColumn(4).getDouble() * std::pow(0.5, age / learn::kHalfLifeDays);
        }
        for (auto& a : out) {
            a.factor = 1.0 + std::clamp(sums[a.id] * learn::kStep, -learn::kCap, learn::kCap);
        }
        std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
            return std::abs(x.factor - 1.0) > std::abs(y.factor - 1.0);
        });
    } catch (const store::Error& e) {
        log::Get("kb")->warn("learning failed: {}", e.what());
    }
    return out;
}

Result<int> KnowledgeBase::ResetLearning(std::int64_t article_id) {
    try {
        store::StepTx ws(db_);
        store::Query q(ws.Conn(), article_id > 0
                                      ? "UPDATE kb_feedback SET active = 0 WHERE active = 1 "
                                        "AND article_id = ?"
                                      : "UPDATE kb_feedback SET active = 0 WHERE active = 1");
        if (article_id > 0) {
            q.bind(1, article_id);
        }
        const int n = q.exec();
        ws.Commit();
        return n;
    } catch (const store::Error& e) {
        return Fail(Errc::kDb, e.what());
    }
}

std::vector<Gap> KnowledgeBase::Gaps(std::int64_t from, std::int64_t to, std::size_t limit) {
    struct Member {
        std::string text;
        std::string norm;
        std::set<std::string> grams;
        bool unsolved;
        std::string ticket;
    };
    std::vector<Member> rows;
    try {
        // A question found nothing, or its article did not solve it; a question that was
        // shown articles and went quiet is not counted either way.
        store::Query q(db_.Conn(),
                       "SELECT text, outcome, ticket_no FROM kb_questions WHERE asked_at >= ? "
                       "AND asked_at < ? AND outcome IN ('none', 'unsolved') ORDER BY id");
        q.bind(1, from);
        q.bind(2, to);
        while (q.executeStep()) {
            Member m;
            m.text = q.getColumn(0).getString();
            m.norm = tok::Normalize(m.text, kMaxQueryChars);
            m.grams = tok::Bigrams(m.norm);
            m.unsolved = q.getColumn(1).getString() == "unsolved";
            m.ticket = q.getColumn(2).getString();
            rows.push_back(std::move(m));
        }
    } catch (const store::Error& e) {
        log::Get("kb")->warn("gaps failed: {}", e.what());
        return {};
    }
    // Leader clustering: each question joins the first group whose first question is alike.
    std::vector<std::vector<const Member*>> groups;
    for (const auto& m : rows) {
        bool placed = false;
        for (auto& g : groups) {
            if (g.front()->norm == m.norm || tok::Jaccard(g.front()->grams, m.grams) >= kSameGap) {
                g.push_back(&m);
                placed = true;
                break;
            }
        }
        if (!placed) {
            groups.push_back({&m});
        }
    }
    std::vector<Gap> out;
    for (const auto& g : groups) {
        Gap gap;
        std::map<std::string, int> wordings;
        for (const auto* m : g) {
            ++gap.count;
            (m->unsolved ? gap.unsolved : gap.not_found) += 1;
            ++wordings[m->text];
            if (!m->ticket.empty() &&
                std::find(gap.tickets.begin(), gap.tickets.end(), m->ticket) == gap.tickets.end()) {
                gap.tickets.push_back(m->ticket);
            }
        }
        int best = 0;
        for (const auto& [w, n] : wordings) {
            if (n > best) {
                best = n;
                gap.sample = w;
            }
        }
        for (const auto& [w, n] : wordings) {
            if (w != gap.sample && gap.examples.size() < 3) {
                gap.examples.push_back(w);
            }
        }
        out.push_back(std::move(gap));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Gap& a, const Gap& b) { return a.count > b.count; });
    if (out.size() > limit) {
        out.resize(limit);
    }
    return out;
}

}  // namespace wedesk::kb
