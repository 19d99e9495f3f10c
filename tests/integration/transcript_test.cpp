// Golden transcripts: tests/transcripts/*.chat, each a conversation typed by named people and
// what they must see, run against a real server through the encrypted callback (SimClient), with
// the WeCom API emulator recording what the app pushed. The grammar (one directive per line):
//
//   # comment                          blank lines are ignored too
//   @tickets FILE                      the "tickets" object of a JSONC config (e.g.
//   config/demo.jsonc);
//                                      default: the e2e tickets config (4 categories, 2 groups)
//   @people FILE                       people CSV (default: the e2e people, nobody on duty)
//   @kb FILE                           knowledge base to import (Markdown)
//   @advance 20m | 2h                  move the clock, then run one background pass (timers)
//   USER> text                         USER sends text; the reply is what the next lines check
//   USER> [image NAME] | [file NAME]   USER sends a photo / a file called NAME (put at the
//                                      emulated WeCom first, so wedesk can fetch it)
//   USER> [button KEY]                 USER clicks KEY on the latest card sent to USER having it
//   < text                             the reply contains text
//   <! text                            the reply does not contain text
//   push USER: text                    the app sent USER a message (text or card) containing text
//   nopush USER: text                  ... and none containing this one
//
// FILE paths are relative to the source tree. Header directives (@tickets, @people, @kb) come
// before the first message. A failure names the file and line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ticket_e2e_helpers.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

using namespace wedesk::testing;
using namespace wedesk::testing::e2e;

namespace {

std::string ReadFile(const std::filesystem::path& p) {
    std::ifstream in(p);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::filesystem::path SourcePath(const std::string& rel) {
    return std::filesystem::path(WEDESK_SOURCE_DIR) / rel;
}

std::string Trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) {
        return "";
    }
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// What a pushed message says: a text's content; a card's title, text, fields and buttons.
std::string PushedText(const wedesk::sim::ReceivedMessage& m) {
    return wedesk::sim::DescribeMessage(m.msgtype, m.body, m.media_name);
}

class Runner {
public:
    explicit Runner(std::filesystem::path file) : file_(std::move(file)) {}

    void Run() {
        std::istringstream in(ReadFile(file_));
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            ++n;
            line = Trim(line);
            if (line.empty() || line[0] == '#') {
                continue;
            }
            INFO(file_.filename().string() << ":" << n << ": " << line);
            Step(line);
        }
        CHECK(messages_ > 0);
    }

private:
    void Step(const std::string& line) {
        if (line.starts_with("@tickets ")) {
            REQUIRE(!server_);
            // Template placeholders (@PORT@ in config/demo.jsonc, filled in by demo.sh) are
            // not JSON: they become 0, outside the tickets section that is used.
            const std::string text = std::regex_replace(ReadFile(SourcePath(Trim(line.substr(9)))),
                                                        std::regex("@[A-Z_]+@"), "0");
            const auto doc = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
            REQUIRE(doc.contains("tickets"));
            tickets_ = {{"tickets", doc["tickets"]}};
            return;
        }
        if (line.starts_with("@people ")) {
            REQUIRE(!server_);
            people_ = ReadFile(SourcePath(Trim(line.substr(8))));
            return;
        }
        if (line.starts_with("@kb ")) {
            REQUIRE(!server_);
            kb_ = SourcePath(Trim(line.substr(4))).string();
            return;
        }
        Server();
        if (line.starts_with("@advance ")) {
            const std::string v = Trim(line.substr(9));
            REQUIRE(v.size() >= 2);
            const long long k = std::stoll(v.substr(0, v.size() - 1));
            REQUIRE((v.back() == 'm' || v.back() == 'h'));
            server_->clock().Advance(std::chrono::minutes(v.back() == 'h' ? k * 60 : k));
            server_->app().RunBackgroundOnce();
            return;
        }
        if (line.starts_with("<! ")) {
            CHECK_THAT(reply_, !Catch::Contains(line.substr(3)));
            return;
        }
        if (line.starts_with("< ")) {
            CHECK_THAT(reply_, Catch::Contains(line.substr(2)));
            return;
        }
        if (line.starts_with("push ") || line.starts_with("nopush ")) {
            const bool want = line.starts_with("push ");
            const std::string rest = line.substr(want ? 5 : 7);
            const auto colon = rest.find(':');
            REQUIRE(colon != std::string::npos);
            const std::string user = Trim(rest.substr(0, colon));
            const std::string needle = Trim(rest.substr(colon + 1));
            auto match = [&](const wedesk::sim::ReceivedMessage& m) {
                return m.touser == user && PushedText(m).find(needle) != std::string::npos;
            };
            if (want) {
                CHECK(WaitForMessage(server_->api(), match).has_value());
            } else {
                CHECK(MessagesTo(server_->api(), user, match).empty());
            }
            return;
        }
        const auto arrow = line.find("> ");
        REQUIRE(arrow != std::string::npos);
        const std::string user = line.substr(0, arrow);
        const std::string text = line.substr(arrow + 2);
        ++messages_;
        if ((text.starts_with("[image ") || text.starts_with("[file ")) && text.ends_with("]")) {
            const bool image = text.starts_with("[image ");
            const std::string name = text.substr(image ? 7 : 6, text.size() - (image ? 8 : 7));
            const auto media = server_->api().AddMedia({image ? "image" : "file", name,
                                                        image ? "image/png" : "text/plain",
                                                        "content of " + name + "\n"});
            auto r = server_->client().SendMedia(user, image ? "image" : "file", media,
                                                 image ? "" : name);
            REQUIRE(r.ok());
            REQUIRE(r->status == 200);
            reply_ = r->content;
            Echo(user, text);
            return;
        }
        if (text.starts_with("[button ") && text.ends_with("]")) {
            const std::string key = text.substr(8, text.size() - 9);
            auto has_button = [&](const wedesk::sim::ReceivedMessage& m) {
                const auto keys = ButtonKeys(m);
                return m.touser == user && std::find(keys.begin(), keys.end(), key) != keys.end();
            };
            INFO("a card to " << user << " with the button " << key);
            REQUIRE(WaitForMessage(server_->api(), has_button).has_value());
            const auto cards = MessagesTo(server_->api(), user, has_button);
            auto r = server_->client().ClickCard(user, TaskId(cards.back()), key);
            REQUIRE(r.ok());
            REQUIRE(r->status == 200);
            reply_ = r->content;
            Echo(user, text);
            return;
        }
        reply_ = Say(*server_, user, text);
        Echo(user, text);
    }

    // WEDESK_TRANSCRIPT_ECHO=1 prints the conversation, for writing a new transcript.
    void Echo(const std::string& user, const std::string& text) const {
        if (std::getenv("WEDESK_TRANSCRIPT_ECHO") != nullptr) {
            std::fprintf(stderr, "%s> %s\n%s\n\n", user.c_str(), text.c_str(), reply_.c_str());
        }
    }

    void Server() {
        if (server_) {
            return;
        }
        server_ = std::make_unique<TestServer>(tickets_.is_null() ? TicketsPatch(600) : tickets_);
        server_->ImportUsers(people_.empty() ? std::string(kPeopleCsv) : people_);
        if (!kb_.empty()) {
            auto db = wedesk::store::Database::Open(server_->db_path(), wedesk::schema::All());
            wedesk::kb::KnowledgeBase kb(*db);
            auto r = kb.ImportFile(kb_);
            REQUIRE(r.ok());
        }
    }

    std::filesystem::path file_;
    nlohmann::json tickets_;
    std::string people_;
    std::string kb_;
    std::unique_ptr<TestServer> server_;
    std::string reply_;
    int messages_ = 0;
};

std::vector<std::filesystem::path> Transcripts() {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(SourcePath("tests/transcripts"))) {
        if (e.path().extension() == ".chat") {
            out.push_back(e.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("golden transcripts through the encrypted callback", "[integration][transcript]") {
    const auto files = Transcripts();
    REQUIRE(files.size() >= 1);
    for (const auto& f : files) {
        DYNAMIC_SECTION(f.filename().string()) { Runner(f).Run(); }
    }
}
