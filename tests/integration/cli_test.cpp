// The `wedesk` binary as an operator uses it: admin commands against a real SQLite file, sim
// send/chat against a real server on loopback, sim api as a child process, --config before and
// after the subcommand, --help everywhere, errors on stderr with a non-zero exit code.
#include <SQLiteCpp/Database.h>
#include <httplib.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "cli_helpers.hpp"
#include "fakes/temp_dir.hpp"
#include "server_helpers.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/store/database.hpp"

using nlohmann::json;
using wedesk::testing::BaseConfigJson;
using wedesk::testing::ChildProcess;
using wedesk::testing::FreeLoopbackPort;
using wedesk::testing::RunResult;
using wedesk::testing::RunWedesk;
using wedesk::testing::TempDir;
using wedesk::testing::TestServer;
using wedesk::testing::WriteConfig;
using wedesk::testing::WriteFile;

namespace {

const char* const kGoodCsv =
    "userid,name,mobile,account,department,role,groups\n"
    "zhangsan,张三,13800138001,zhangsan,财务部,employee,\n"
    "eng1,王工,+8613800138011,eng1,IT,engineer,desktop\n"
    "lead1,孙组长,138 0013 8021,lead1,IT,lead,desktop;network\n";

// Line 3 has an unknown role, line 4 a bad mobile number.
const char* const kBadCsv =
    "userid,name,mobile,account,department,role,groups\n"
    "newbie,新人,13800138031,newbie,IT,employee,\n"
    "bad1,坏,13800138032,bad1,IT,wizard,\n"
    "bad2,坏,12345,bad2,IT,employee,\n";

const char* const kKbMarkdown =
    "# IT 知识库\n\n"
    "## 打印机卡纸怎么办\n"
    "打开前盖，取出卡住的纸张，再关上前盖。\n"
    "关键词：打印机, 卡纸\n\n"
    "## 如何连接公司 VPN\n"
    "安装 GlobalProtect 客户端，门户地址填 vpn.example.com，用域账号登录。\n";

/// A config file in `dir` (database there too), merged with `patch`.
std::string Config(const TempDir& dir, const json& patch = json::object()) {
    auto j = BaseConfigJson(dir.path().string());
    j.merge_patch(patch);
    return WriteConfig(dir.path().string(), j);
}

/// `wedesk admin ARGS... --config CFG` (config after the subcommand).
RunResult Admin(const std::string& cfg, std::vector<std::string> args) {
    args.insert(args.begin(), "admin");
    args.push_back("--config");
    args.push_back(cfg);
    return RunWedesk(args);
}

json ParseJson(const RunResult& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    auto j = json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
}

/// A TestServer whose freshness check is off (the CLI signs with the real clock, the server runs
/// on a fake one).
json ServerPatch(const json& more = json::object()) {
    json p = {{"wecom", {{"max_clock_skew_s", 0}}}};
    p.merge_patch(more);
    return p;
}

/// The CLI's config for talking to `s`.
std::string ConfigFor(const TempDir& dir, const TestServer& s, const json& more = json::object()) {
    json patch = {{"server", {{"port", s.port()}}}, {"database", {{"path", s.db_path()}}}};
    patch.merge_patch(more);
    return Config(dir, patch);
}

}  // namespace

TEST_CASE("admin users import reports counts, list --json and duty work", "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    const auto csv = dir.File("people.csv");
    WriteFile(csv, kGoodCsv);

    // --config before the subcommand...
    auto r = RunWedesk({"--config", cfg, "admin", "users", "import", csv});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("3 inserted, 0 updated, 0 unchanged"));
    // ... in the middle, and after it.
    r = RunWedesk({"admin", "--config", cfg, "users", "import", csv});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("0 inserted, 0 updated, 3 unchanged"));

    auto users = ParseJson(Admin(cfg, {"users", "list", "--json"}));
    REQUIRE(users.is_array());
    REQUIRE(users.size() == 3);
    CHECK(users[0]["userid"] == "eng1");
    CHECK(users[0]["groups"] == json::array({"desktop"}));
    CHECK(users[0]["on_duty"] == false);
    CHECK(users[1]["mobile"] == "+8613800138021");
    CHECK(users[1]["groups"] == json::array({"desktop", "network"}));
    CHECK(users[2]["name"] == "张三");
    CHECK(users[2]["role"] == "employee");

    r = Admin(cfg, {"duty", "on", "eng1"});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("on duty"));
    users = ParseJson(Admin(cfg, {"users", "list", "--json"}));
    CHECK(users[0]["on_duty"] == true);
    REQUIRE(Admin(cfg, {"duty", "off", "eng1"}).exit_code == 0);
    users = ParseJson(Admin(cfg, {"users", "list", "--json"}));
    CHECK(users[0]["on_duty"] == false);

    r = Admin(cfg, {"duty", "on", "nobody"});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("nobody"));
    CHECK(r.out.empty());
    // Only engineers and leads take tickets.
    r = Admin(cfg, {"duty", "on", users[2]["userid"].get<std::string>()});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("only engineers and leads"));
    users = ParseJson(Admin(cfg, {"users", "list", "--json"}));
    CHECK(users[2]["on_duty"] == false);
    r = Admin(cfg, {"duty", "maybe", "eng1"});
    CHECK(r.exit_code != 0);
    CHECK_FALSE(r.err.empty());
}

TEST_CASE("admin users import of a bad CSV names the lines and applies nothing",
          "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    const auto csv = dir.File("bad.csv");
    WriteFile(csv, kBadCsv);
    auto r = Admin(cfg, {"users", "import", csv});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("line 3"));
    CHECK_THAT(r.err, Catch::Contains("line 4"));
    CHECK_THAT(r.err, !Catch::Contains("line 2:"));
    CHECK(r.out.empty());
    const auto users = ParseJson(Admin(cfg, {"users", "list", "--json"}));
    CHECK(users == json::array());

    r = Admin(cfg, {"users", "import", dir.File("missing.csv")});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("missing.csv"));
}

TEST_CASE("admin kb import is idempotent and kb search/list answer JSON", "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    const auto md = dir.File("kb.md");
    WriteFile(md, kKbMarkdown);

    auto r = Admin(cfg, {"kb", "import", md});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("2 inserted, 0 updated, 0 unchanged"));
    r = Admin(cfg, {"kb", "import", md});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("0 inserted, 0 updated, 2 unchanged"));

    const auto list = ParseJson(Admin(cfg, {"kb", "list", "--json"}));
    REQUIRE(list.size() == 2);
    CHECK(list[0]["title"] == "打印机卡纸怎么办");

    const auto found = ParseJson(Admin(cfg, {"kb", "search", "打印机又卡纸了", "--json"}));
    REQUIRE(found.is_array());
    REQUIRE_FALSE(found.empty());
    CHECK(found[0]["title"] == "打印机卡纸怎么办");
    CHECK(found[0]["id"] == list[0]["id"]);

    const auto bad = dir.File("bad.json");
    WriteFile(bad, R"([{"title": "ok", "answer": "fine"}, {"title": "no answer"}])");
    r = Admin(cfg, {"kb", "import", bad});
    CHECK(r.exit_code == 1);
    CHECK_FALSE(r.err.empty());
    CHECK(ParseJson(Admin(cfg, {"kb", "list", "--json"})).size() == 2);

    r = Admin(cfg, {"kb", "delete", list[1]["id"].dump()});
    CHECK(r.exit_code == 0);
    CHECK(ParseJson(Admin(cfg, {"kb", "list", "--json"})).size() == 1);
}

TEST_CASE("admin db backup writes a database that opens with every table", "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    const auto csv = dir.File("people.csv");
    WriteFile(csv, kGoodCsv);
    REQUIRE(Admin(cfg, {"users", "import", csv}).exit_code == 0);

    const auto copy = dir.File("backup.db");
    auto r = Admin(cfg, {"db", "backup", copy});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    SQLite::Database db(copy, SQLite::OPEN_READONLY);
    for (const char* table : {"users", "tickets", "kb_articles", "outbox", "reset_audit"}) {
        INFO(table);
        CHECK(db.execAndGet(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' "
                                        "AND name='") +
                            table + "'")
                  .getInt() == 1);
    }
    CHECK(db.execAndGet("SELECT COUNT(*) FROM users").getInt() == 3);
    // Readable by its owner only; never replaced silently.
    CHECK((std::filesystem::status(copy).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    r = Admin(cfg, {"db", "backup", copy});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("--force"));
    r = Admin(cfg, {"db", "backup", copy, "--force"});
    CHECK(r.exit_code == 0);

    r = Admin(cfg, {"db", "migrate"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("schema version"));
}

TEST_CASE("admin tickets, stats, audit and outbox answer JSON on an empty database",
          "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    CHECK(ParseJson(Admin(cfg, {"tickets", "list", "--json"})) == json::array());
    CHECK(ParseJson(Admin(cfg, {"tickets", "list", "--status", "new", "--json"})) == json::array());
    const auto stats = ParseJson(Admin(cfg, {"stats", "--json"}));
    CHECK(stats.is_object());
    CHECK(ParseJson(Admin(cfg, {"audit", "--user", "zhangsan", "--limit", "5", "--json"})) ==
          json::array());
    CHECK(ParseJson(Admin(cfg, {"outbox", "list", "--status", "parked", "--json"})) ==
          json::array());

    auto r = Admin(cfg, {"tickets", "show", "IT20260101-0001"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("IT20260101-0001"));
    r = Admin(cfg, {"outbox", "retry", "42"});
    CHECK(r.exit_code == 1);
    CHECK_FALSE(r.err.empty());
}

TEST_CASE("bad command lines fail on stderr — --help works everywhere", "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"admin", "frobnicate"},
             {"admin", "users"},
             {"admin", "users", "import"},
             {"admin", "kb", "search"},
             {"admin", "duty", "on"},
             {"sim", "send", "hello"},
             {"sim", "send", "--as", "u1"},
             {"nonsense"},
         }) {
        auto full = args;
        full.push_back("--config");
        full.push_back(cfg);
        INFO(full[0] << " " << full[1]);
        const auto r = RunWedesk(full);
        CHECK(r.exit_code != 0);
        CHECK_FALSE(r.err.empty());
    }

    auto r = RunWedesk({"admin", "users", "list", "--config", dir.File("nope.jsonc")});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("config"));

    for (const auto& args : std::vector<std::vector<std::string>>{
             {},
             {"admin"},
             {"admin", "users"},
             {"admin", "users", "import"},
             {"admin", "users", "list"},
             {"admin", "duty"},
             {"admin", "kb"},
             {"admin", "kb", "import"},
             {"admin", "kb", "search"},
             {"admin", "kb", "synonyms", "add"},
             {"admin", "tickets", "list"},
             {"admin", "tickets", "show"},
             {"admin", "stats"},
             {"admin", "audit"},
             {"admin", "outbox", "list"},
             {"admin", "db", "backup"},
             {"admin", "wecom", "menu-create"},
             {"sim"},
             {"sim", "send"},
             {"sim", "chat"},
             {"sim", "api"},
             {"serve"},
         }) {
        auto full = args;
        full.push_back("--help");
        std::string name;
        for (const auto& a : args) {
            name += a + " ";
        }
        INFO(name);
        const auto help = RunWedesk(full);
        CHECK(help.exit_code == 0);
        CHECK_THAT(help.out, Catch::Contains("Usage"));
    }
}

TEST_CASE("sim send prints the decrypted reply of the real server", "[integration][cli]") {
    TestServer s(ServerPatch());
    TempDir dir;
    const auto cfg = ConfigFor(dir, s);

    auto r = RunWedesk({"sim", "send", "--as", "ZhangSan", "帮助", "--config", cfg});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("报修"));
    CHECK(s.Count("inbound_messages") == 1);

    r = RunWedesk({"--config", cfg, "sim", "send", "--as", "zhangsan", "--event", "enter_agent"});
    CHECK(r.exit_code == 0);
    CHECK(s.Count("inbound_messages") == 2);

    // Other credentials than the server's: refused with 4xx → exit 1, the status on stderr.
    TempDir other;
    const auto wrong = ConfigFor(other, s, {{"wecom", {{"token", "not-the-server-token"}}}});
    r = RunWedesk({"sim", "send", "--as", "zhangsan", "帮助", "--config", wrong});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("HTTP 4"));

    // Nobody listening.
    s.Stop();
    r = RunWedesk({"sim", "send", "--as", "zhangsan", "帮助", "--config", cfg});
    CHECK(r.exit_code == 1);
    CHECK_FALSE(r.err.empty());
}

TEST_CASE("sim api serves the WeCom API where api_base points until SIGTERM",
          "[integration][cli]") {
    TempDir dir;
    const auto base = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort());
    const auto cfg = Config(dir, {{"wecom", {{"api_base", base}}}});
    const json corp = BaseConfigJson(dir.path().string())["wecom"]["corp_id"];

    ChildProcess api({"sim", "api", "--config", cfg});
    REQUIRE(api.ReadUntil("listening on " + base));

    httplib::Client http(base);
    auto res = http.Get("/cgi-bin/gettoken?corpid=" + corp.get<std::string>() +
                        "&corpsecret=test-corp-secret");
    REQUIRE(res);
    auto token = json::parse(res->body, nullptr, false);
    CHECK(token["errcode"] == 0);
    CHECK_FALSE(token["access_token"].get<std::string>().empty());
    res = http.Get("/cgi-bin/gettoken?corpid=" + corp.get<std::string>() + "&corpsecret=wrong");
    REQUIRE(res);
    CHECK(json::parse(res->body, nullptr, false)["errcode"] == 40001);

    // A message sent to it is printed readably.
    res =
        http.Post("/cgi-bin/message/send?access_token=" + token["access_token"].get<std::string>(),
                  json{{"touser", "zhangsan"},
                       {"msgtype", "text"},
                       {"agentid", BaseConfigJson("")["wecom"]["agent_id"]},
                       {"text", {{"content", "您的工单已受理"}}}}
                      .dump(),
                  "application/json");
    REQUIRE(res);
    CHECK(json::parse(res->body, nullptr, false)["errcode"] == 0);
    CHECK(api.ReadUntil("→ zhangsan: 您的工单已受理"));

    // admin wecom menu-create goes to the same place.
    const auto menu = RunWedesk({"admin", "wecom", "menu-create", "--config", cfg});
    INFO(menu.err);
    CHECK(menu.exit_code == 0);
    res = http.Get("/sim/menu");
    REQUIRE(res);
    const auto buttons = json::parse(res->body, nullptr, false)["button"];
    REQUIRE(buttons.size() == 3);
    CHECK(buttons[0]["name"] == "报修");
    CHECK(buttons[0]["key"] == "MENU_NEW_TICKET");
    CHECK(buttons[1]["key"] == "MENU_MY_TICKETS");
    CHECK(buttons[2]["key"] == "MENU_RESET_PASSWORD");

    api.Signal(SIGTERM);
    CHECK(api.Wait() == 0);

    // api_base not a local http://host:port: refused with a message.
    const auto remote = Config(dir, {{"wecom", {{"api_base", "https://qyapi.weixin.qq.com"}}}});
    const auto r = RunWedesk({"sim", "api", "--config", remote});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("api_base"));
}

TEST_CASE("sim chat: replies, pushed cards, /as and /click against the real server",
          "[integration][cli]") {
    const auto& vc = wedesk::testing::Vectors()["config"];
    wedesk::sim::ApiEmulator emu(vc["corpid"], "test-corp-secret", vc["agentid"].get<int>());
    REQUIRE(emu.Start("127.0.0.1", 0) > 0);
    const json tickets = {
        {"wecom", {{"api_base", emu.BaseUrl()}}},
        {"tickets",
         {{"groups", json::array({{{"name", "desktop"},
                                   {"categories", {"pc", "printer", "software", "other"}}}})}}}};
    TestServer s(ServerPatch(tickets));
    TempDir dir;
    const auto cfg = ConfigFor(dir, s, tickets);

    // The admin commands work on the running server's database.
    const auto csv = dir.File("people.csv");
    WriteFile(csv, kGoodCsv);
    REQUIRE(Admin(cfg, {"users", "import", csv}).exit_code == 0);
    REQUIRE(Admin(cfg, {"duty", "on", "eng1"}).exit_code == 0);

    ChildProcess chat({"sim", "chat", "--as", "zhangsan", "--config", cfg});
    chat.Write("/help\n报修\n");
    REQUIRE(chat.ReadUntil("IT服务: "));
    // Category 4 is 打印机 in the default categories.
    chat.Write("4\n打印机卡纸了，3楼\n1\n确认\n");
    REQUIRE(chat.ReadUntil("已为您创建工单"));
    // The engineer's card goes out through the outbox to the emulator.
    REQUIRE(emu.WaitForMessages(1, std::chrono::seconds(15)));
    chat.Write("/as eng1\n");
    REQUIRE(chat.ReadUntil("[推送] 卡片 #1"));
    chat.Write("/click 1\n");  // two buttons: asks which
    REQUIRE(chat.ReadUntil("请指定按钮"));
    chat.Write("/click 1 接单\n/bogus\n");
    REQUIRE(chat.ReadUntil("已接单"));
    chat.Write("/quit\n");
    CHECK(chat.Wait() == 0);
    INFO(chat.out());
    CHECK_THAT(chat.out(), Catch::Contains("/click N"));  // the help text
    CHECK_THAT(chat.out(), Catch::Contains("请选择问题类别"));
    CHECK_THAT(chat.out(), Catch::Contains("(1) 接单"));
    CHECK_THAT(chat.out(), Catch::Contains("未知命令 /bogus"));
    CHECK(s.Count("tickets", "assignee = 'eng1' AND status = 'in_progress'") == 1);

    // The admin views of what just happened.
    const auto list =
        ParseJson(Admin(cfg, {"tickets", "list", "--status", "in_progress", "--json"}));
    REQUIRE(list.size() == 1);
    CHECK(list[0]["assignee"] == "eng1");
    CHECK(list[0]["requester"] == "zhangsan");
    const std::string no = list[0]["no"];
    const auto detail = ParseJson(Admin(cfg, {"tickets", "show", no, "--json"}));
    CHECK(detail["no"] == no);
    std::vector<std::string> kinds;
    for (const auto& e : detail["events"]) {
        kinds.push_back(e["kind"]);
    }
    CHECK(kinds == std::vector<std::string>{"created", "assigned", "accepted"});
    auto shown = Admin(cfg, {"tickets", "show", no});
    CHECK(shown.exit_code == 0);
    CHECK_THAT(shown.out, Catch::Contains(no));
    const auto stats = ParseJson(Admin(cfg, {"stats", "--json"}));
    CHECK(stats["by_status"]["in_progress"] == 1);
    CHECK(stats["accepted_count"] == 1);
    const auto outbox = ParseJson(Admin(cfg, {"outbox", "list", "--json"}));
    CHECK_FALSE(outbox.empty());

    // EOF ends the chat with exit code 0 after sending the last line.
    const auto r = RunWedesk({"sim", "chat", "--as", "zhangsan", "--config", cfg}, "帮助");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("IT服务: 您好"));
}

TEST_CASE("admin kb gaps lists unanswered questions by wording, most asked first",
          "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    const std::string db_path = BaseConfigJson(dir.path().string())["database"]["path"];
    {
        auto db = wedesk::store::Database::Open(db_path, wedesk::schema::All());
        wedesk::kb::KnowledgeBase kb(*db);
        const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
        const auto a = kb.RecordQuestion("u1", "报表工具打不开", false, now - 3600);
        kb.RecordQuestion("u2", "报表工具打不开了", false, now - 1800);
        kb.RecordQuestion("u3", "报表工具打不开", false, now - 60);
        const auto b = kb.RecordQuestion("u4", "扫描仪驱动装不上", true, now - 60);
        kb.RecordQuestionOutcome(b, 7, false);
        const auto c = kb.RecordQuestion("u5", "打印机卡纸", true, now - 60);
        kb.RecordQuestionOutcome(c, 3, true);                                // solved: not a gap
        kb.RecordQuestion("u6", "报表工具打不开", false, now - 40 * 86400);  // outside the period
        kb.LinkTicket(a, "IT20261203-0001");
    }
    auto gaps = ParseJson(Admin(cfg, {"kb", "gaps", "--json"}));
    REQUIRE(gaps.size() == 2);
    CHECK(gaps[0]["question"] == "报表工具打不开");
    CHECK(gaps[0]["count"] == 3);
    CHECK(gaps[0]["not_found"] == 3);
    CHECK(gaps[0]["examples"] == json::array({"报表工具打不开了"}));
    CHECK(gaps[0]["tickets"] == json::array({"IT20261203-0001"}));
    CHECK(gaps[1]["question"] == "扫描仪驱动装不上");
    CHECK(gaps[1]["unsolved"] == 1);
    const auto text = Admin(cfg, {"kb", "gaps"});
    REQUIRE(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("3×"));
    const auto bad = Admin(cfg, {"kb", "gaps", "--from", "2026-13-01"});
    CHECK(bad.exit_code != 0);
    CHECK_THAT(bad.err, Catch::Contains("--from"));
}

TEST_CASE("admin kb learning shows what outcomes taught the ranking, and forgets it on request",
          "[integration][cli]") {
    TempDir dir;
    const auto cfg = Config(dir);
    const std::string db_path = BaseConfigJson(dir.path().string())["database"]["path"];
    std::int64_t printer = 0;
    {
        auto db = wedesk::store::Database::Open(db_path, wedesk::schema::All());
        wedesk::kb::KnowledgeBase kb(*db);
        REQUIRE(kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md").ok());
        const auto hits = kb.Suggest("打印机坏了", 3);
        REQUIRE_FALSE(hits.empty());
        printer = hits.front().id;
        const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
        const auto q = kb.RecordQuestion("u1", "打印机坏了", true, now, printer);
        kb.RecordQuestionOutcome(q, printer, true);
    }
    auto learned = ParseJson(Admin(cfg, {"kb", "learning", "--json"}));
    REQUIRE(learned.size() == 1);
    CHECK(learned[0]["id"] == printer);
    CHECK(learned[0]["solved"] == 1);
    CHECK(learned[0]["factor"].get<double>() == Approx(1.15));
    CHECK(learned[0]["questions"] == json::array({"打印机坏了"}));
    const auto text = Admin(cfg, {"kb", "learning"});
    CHECK_THAT(text.out, Catch::Contains("×1.15\t(解决 1，没解决 0，转工单 0)"));

    const auto reset =
        Admin(cfg, {"kb", "learning", "--reset", "--article", std::to_string(printer)});
    REQUIRE(reset.exit_code == 0);
    CHECK_THAT(reset.out, Catch::Contains("forgot 1 learned signal(s) of article"));
    CHECK(ParseJson(Admin(cfg, {"kb", "learning", "--json"})) == json::array());
}
