#include "kb/learning.hpp"

#include <algorithm>
#include <cmath>

#include "kb/tokenizer.hpp"

namespace wedesk::kb::learn {

namespace {
constexpr std::int64_t kDay = 86400;
constexpr int kMaxRows = 500;  // the newest signals of the candidates; older ones barely weigh
}  // namespace

double Weight(Signal s) {
    switch (s) {
        case Signal::kSolved:
            return 1.0;
        case Signal::kUnsolved:
            return -1.0;
        case Signal::kTicket:
            return -0.5;
    }
    return 0.0;
}

void Record(store::Conn& conn, std::int64_t article_id, const std::string& norm, Signal s,
            std::int64_t now) {
    if (article_id <= 0 || norm.empty()) {
        return;
    }
    store::Query q(conn,
                   "INSERT INTO kb_feedback(at, article_id, article_version, question, signal, "
                   "kind) SELECT ?, id, version, ?, ?, ? FROM kb_articles WHERE id = ?");
    q.bind(1, now);
    q.bind(2, norm);
    q.bind(3, Weight(s));
    q.bind(4, std::string(s == Signal::kSolved     ? "solved"
                          : s == Signal::kUnsolved ? "unsolved"
                                                   : "ticket"));
    q.bind(5, article_id);
    q.exec();
}

std::map<std::int64_t, double> Factors(store::Conn& conn, const std::string& norm,
                                       const std::vector<std::int64_t>& article_ids,
                                       std::int64_t now) {
    std::map<std::int64_t, double> out;
    if (article_ids.empty() || norm.empty()) {
        return out;
    }
    std::string in;
    for (std::size_t i = 0; i < article_ids.size(); ++i) {
        in += i == 0 ? "?" : ", ?";
    }
    store::Query q(conn,
                   "SELECT f.article_id, f.question, f.signal, f.at FROM kb_feedback f JOIN "
                   "kb_articles a ON a.id = f.article_id AND a.version = f.article_version "
                   "WHERE f.active = 1 AND f.at >= ? AND f.article_id IN (" +
                       in + ") ORDER BY f.at DESC LIMIT " + std::to_string(kMaxRows));
    q.bind(1, now - kMaxAgeDays * kDay);
    for (std::size_t i = 0; i < article_ids.size(); ++i) {
        q.bind(static_cast<int>(i + 2), article_ids[i]);
    }
    const auto grams = tok::Bigrams(norm);
    std::map<std::int64_t, double> sum;
    std::map<std::string, double> alike;  // question → similarity (many signals share one)
    while (q.executeStep()) {
        const std::string question = q.getColumn(1).getString();
        auto it = alike.find(question);
        if (it == alike.end()) {
            it = alike
                     .emplace(question,
                              question == norm ? 1.0 : tok::Jaccard(grams, tok::Bigrams(question)))
                     .first;
        }
        if (it->second < kMinSimilarity) {
            continue;
        }
        const double age_days =
            static_cast<double>(std::max<std::int64_t>(0, now - q.getColumn(3).getInt64())) / kDay;
        const double decay = std::pow(0.5, age_days / kHalfLifeDays);
        sum[q.getColumn(0).getInt64()] += q.getColumn(2).getDouble() * it->second * decay;
    }
    for (const auto& [id, s] : sum) {
        out[id] = 1.0 + std::clamp(s * kStep, -kCap, kCap);
    }
    return out;
}

}  // namespace wedesk::kb::learn
