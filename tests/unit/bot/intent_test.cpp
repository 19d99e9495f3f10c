// bot::Classify against the corpus of real utterances in tests/data/intents.tsv: every line must
// get its label. A failure lists each utterance that was misread.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "wedesk/bot/intent.hpp"

using wedesk::bot::Classify;
using wedesk::bot::IntentContext;
using wedesk::bot::IntentKind;
using wedesk::bot::IntentLabel;

namespace {

struct Utterance {
    int line;
    std::string label;
    bool staff;
    std::string text;
};

std::vector<Utterance> LoadCorpus() {
    std::ifstream in(std::string(WEDESK_TEST_DATA_DIR) + "/intents.tsv");
    REQUIRE(in.good());
    std::vector<Utterance> out;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto t1 = line.find('\t');
        const auto t2 = line.find('\t', t1 + 1);
        INFO("intents.tsv line " << n);
        REQUIRE(t1 != std::string::npos);
        REQUIRE(t2 != std::string::npos);
        const std::string role = line.substr(t1 + 1, t2 - t1 - 1);
        REQUIRE((role == "e" || role == "s"));
        out.push_back({n, line.substr(0, t1), role == "s", line.substr(t2 + 1)});
    }
    return out;
}

}  // namespace

TEST_CASE("the intent corpus: at least 200 utterances, each read as labelled", "[unit]") {
    const auto corpus = LoadCorpus();
    CHECK(corpus.size() >= 200);
    std::ostringstream wrong;
    int misses = 0;
    for (const auto& u : corpus) {
        IntentContext ctx;
        ctx.staff = u.staff;
        const std::string got = IntentLabel(Classify(u.text, ctx));
        if (got != u.label) {
            ++misses;
            wrong << "  line " << u.line << " [" << (u.staff ? "staff" : "employee") << "] "
                  << u.text << " → " << got << " (expected " << u.label << ")\n";
        }
    }
    INFO("misread:\n" << wrong.str());
    CHECK(misses == 0);
}

TEST_CASE("arguments come back exactly as typed, only parsing is normalised", "[unit]") {
    IntentContext staff;
    staff.staff = true;
    auto i = Classify("备注 IT20261127-0001 （周五）；１０点再来", staff);
    REQUIRE(i.kind == IntentKind::kCommand);
    CHECK(i.command.ticket_no == "IT20261127-0001");
    CHECK(i.command.arg == "（周五）；１０点再来");
    i = Classify("报修　打印机（３楼）卡纸了！", {});
    REQUIRE(i.kind == IntentKind::kCommand);
    CHECK(i.command.arg == "打印机（３楼）卡纸了！");
    i = Classify("ＩＴ２０２６１１２７－０００１", {});
    CHECK(i.command.ticket_no == "IT20261127-0001");
}

TEST_CASE("an employee's 回复 NO adds to the ticket, an engineer's is a public reply", "[unit]") {
    IntentContext staff;
    staff.staff = true;
    const auto e = Classify("回复 IT20261127-0001 在5楼", {});
    CHECK(IntentLabel(e) == "command.add_info");
    CHECK(e.command.arg == "在5楼");
    CHECK(IntentLabel(Classify("回复 IT20261127-0001 在5楼", staff)) == "command.reply");
}

TEST_CASE("empty and blank messages", "[unit]") {
    CHECK(Classify("", {}).kind == IntentKind::kEmpty);
    CHECK(Classify(" \t　", {}).kind == IntentKind::kEmpty);
}
