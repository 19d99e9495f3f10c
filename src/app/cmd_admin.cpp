// `wedesk admin ...`: operator commands on the database the server uses. Every command opens
// the database of the config (running the migrations), calls one module API and prints the
// answer: human-readable text by default, one JSON document on stdout with --json. Errors go to
// stderr with exit code 1 (2 for a config problem).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "wedesk/common/clock.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/outbox/outbox.hpp"
#include "wedesk/reset/reset_service.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/user_repository.hpp"
#include "wedesk/tickets/attachments.hpp"
#include "wedesk/tickets/sla.hpp"
#include "wedesk/tickets/ticket_service.hpp"
#include "wedesk/wecom/api_client.hpp"

namespace wedesk::app {

namespace {

using nlohmann::json;

/// Storage for every admin option; owned by the subcommand callbacks (shared_ptr).
struct AdminArgs {
    bool json = false;
    std::string file;
    std::string duty_state;
    std::string userid;
    std::string query;
    std::int64_t id = 0;
    bool reset = false;
    std::vector<std::string> terms;
    std::string status;
    std::string ticket_no;
    std::string audit_user;
    int limit = 100;
    std::string from;  // YYYY-MM-DD
    std::string to;
    bool force = false;
    bool all_parked = false;
};

/// Thrown by command bodies for an expected failure: printed to stderr, exit code 1.
struct CommandError {
    std::string message;
};

/// Reading the database needs no notifications; tickets/reset want a Notifier anyway.
class NoNotifier final : public Notifier {
public:
    void SendText(const std::string&, const std::string&) override {}
    void SendSecretText(const std::string&, const std::string&) override {}
    void SendMarkdown(const std::string&, const std::string&) override {}
    void SendCard(const std::string&, const Card&) override {}
    void SendFile(const std::string&, const FileMessage&) override {}
    void RetireCard(const std::string&, const std::string&) override {}
};

class NoUsers final : public reset::UserLookup {
public:
    reset::UserInfo Find(const std::string&) override { return {}; }
};

/// A ResetService for the database alone (audit, reopen): no directory, SMS or messages.
struct OfflineReset {
    OfflineReset(const config::Config& cfg, store::Database& db)
        : service(cfg.reset, cfg.server.public_url, db, nullptr, nullptr, users, notifier, clock,
                  random, Secret("")) {}
    NoUsers users;
    NoNotifier notifier;
    SystemClock clock;
    OpenSslRandom random;
    reset::ResetService service;  // last: uses the members above
};

std::string Dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw CommandError{"cannot read " + path};
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// "2024-06-10 16:00:15 UTC" (0 → "-").
std::string FormatTime(std::int64_t unix_s) {
    if (unix_s <= 0) {
        return "-";
    }
    const auto t = static_cast<std::time_t>(unix_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

/// Loads the config, opens (and migrates) the database and runs `body`; maps failures to exit
/// codes. Log lines go to stderr, warnings and worse only, so stdout stays machine-readable.
int WithDatabase(const CliContext& ctx,
                 const std::function<void(const config::Config&, store::Database&)>& body) {
    auto cfg = LoadConfigOrReport(ctx);
    if (!cfg) {
        return 2;
    }
    log::Setup(cfg->log.level == "debug" || cfg->log.level == "trace" ? cfg->log.level : "warn",
               "text");
    try {
        auto db = store::Database::Open(cfg->database.path, schema::All());
        body(*cfg, *db);
        return 0;
    } catch (const CommandError& e) {
        std::cerr << "wedesk: " << e.message << "\n";
    } catch (const std::exception& e) {
        std::cerr << "wedesk: error: " << e.what() << "\n";
    }
    return 1;
}

/// Registers `fn` as the callback of `app`, run with the database open.
void OnRun(CLI::App* app, CliContext& ctx,
           std::function<void(const config::Config&, store::Database&)> fn) {
    app->callback([&ctx, fn = std::move(fn)] { ctx.exit_code = WithDatabase(ctx, fn); });
}

void AddJsonFlag(CLI::App* app, AdminArgs& args) {
    app->add_flag("--json", args.json, "print one JSON document on stdout");
}

// --- users, duty ---

json UserJson(const store::User& u) {
    return {{"userid", u.userid},
            {"name", u.name},
            {"mobile", u.mobile},
            {"account", u.account},
            {"department", u.department},
            {"role", RoleName(u.role)},
            {"groups", u.groups},
            {"on_duty", u.on_duty},
            {"last_assigned_at", u.last_assigned_at}};
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : sep) + s;
    }
    return out;
}

void AddUsers(CLI::App* admin, CliContext& ctx, const std::shared_ptr<AdminArgs>& a) {
    auto* users = admin->add_subcommand("users", "the people wedesk knows (CSV import, list)");
    users->require_subcommand(1);

    auto* import = users->add_subcommand(
        "import",
        "upsert people from a CSV file with header userid,name,mobile,account,department,role,"
        "groups (role employee|engineer|lead|admin, groups ';'-separated). All rows or nothing: "
        "a bad row is reported with its line number and nothing is applied");
    import->add_option("FILE", a->file, "the CSV file")->required();
    OnRun(import, ctx, [a](const config::Config&, store::Database& db) {
        const auto text = ReadFile(a->file);
        store::UserRepository repo(db);
        auto report = repo.ImportCsv(text, SystemClock().NowSeconds());
        if (!report.ok()) {
            throw CommandError{"users import: " + a->file + " not applied:\n" +
                               report.error().message};
        }
        std::cout << "users import " << a->file << ": " << report->inserted << " inserted, "
                  << report->updated << " updated, " << report->unchanged << " unchanged\n";
    });

    auto* list = users->add_subcommand("list", "everyone, ordered by userid");
    AddJsonFlag(list, *a);
    OnRun(list, ctx, [a](const config::Config&, store::Database& db) {
        const auto all = store::UserRepository(db).List();
        if (a->json) {
            json out = json::array();
            for (const auto& u : all) {
                out.push_back(UserJson(u));
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        for (const auto& u : all) {
            std::cout << u.userid << "\t" << u.name << "\t" << RoleName(u.role) << "\t"
                      << (u.groups.empty() ? "-" : Join(u.groups, ";")) << "\t"
                      << (u.on_duty ? "on duty" : "off duty") << "\n";
        }
        std::cout << all.size() << " user(s)\n";
    });

    auto* duty = admin->add_subcommand(
        "duty", "put an engineer on or off duty (only on-duty engineers get new tickets)");
    duty->add_option("STATE", a->duty_state, "on or off")
        ->required()
        ->check(CLI::IsMember({"on", "off"}));
    duty->add_option("USERID", a->userid, "the engineer's WeCom UserID")->required();
    OnRun(duty, ctx, [a](const config::Config&, store::Database& db) {
        const bool on = a->duty_state == "on";
        auto r = store::UserRepository(db).SetDuty(a->userid, on, SystemClock().NowSeconds());
        if (!r.ok()) {
            throw CommandError{
                "duty " + a->duty_state + " " + a->userid + ": " +
                (r.error().code == Errc::kNotFound ? "no such user" : r.error().message)};
        }
        std::cout << a->userid << " is now " << (on ? "on" : "off") << " duty\n";
    });
}

// --- kb ---

json ArticleJson(const kb::Article& art) {
    return {
        {"id", art.id}, {"title", art.title}, {"answer", art.answer}, {"keywords", art.keywords}};
}

void AddKb(CLI::App* admin, CliContext& ctx, const std::shared_ptr<AdminArgs>& a) {
    auto* kbc = admin->add_subcommand("kb", "the knowledge base: import, list, search, synonyms");
    kbc->require_subcommand(1);

    auto* import = kbc->add_subcommand(
        "import",
        "import articles: Markdown (.md: each '## ' heading is a title, the text below it the "
        "answer) or JSON (.json: [{title, answer, keywords?}]). Idempotent by title; all or "
        "nothing");
    import->add_option("FILE", a->file, "a .md or .json file")->required();
    OnRun(import, ctx, [a](const config::Config&, store::Database& db) {
        auto report = kb::KnowledgeBase(db).ImportFile(a->file);
        if (!report.ok()) {
            throw CommandError{"kb import: " + a->file + " not applied: " + report.error().message};
        }
        std::cout << "kb import " << a->file << ": " << report->inserted << " inserted, "
                  << report->updated << " updated, " << report->unchanged << " unchanged\n";
    });

    auto* list = kbc->add_subcommand("list", "all articles, by id");
    AddJsonFlag(list, *a);
    OnRun(list, ctx, [a](const config::Config&, store::Database& db) {
        const auto all = kb::KnowledgeBase(db).List();
        if (a->json) {
            json out = json::array();
            for (const auto& art : all) {
                out.push_back(ArticleJson(art));
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        for (const auto& art : all) {
            std::cout << art.id << "\t" << art.title << "\n";
        }
        std::cout << all.size() << " article(s)\n";
    });

    auto* search = kbc->add_subcommand(
        "search", "what the bot would suggest for this text (up to 10, best first)");
    search->add_option("QUERY", a->query, "free text, as a user would type it")->required();
    AddJsonFlag(search, *a);
    OnRun(search, ctx, [a](const config::Config&, store::Database& db) {
        const auto found = kb::KnowledgeBase(db).Suggest(a->query, 10);
        if (a->json) {
            json out = json::array();
            for (const auto& s : found) {
                out.push_back({{"id", s.id}, {"title", s.title}, {"score", s.score}});
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        if (found.empty()) {
            std::cout << "no article is relevant enough\n";
        }
        for (const auto& s : found) {
            std::cout << s.id << "\t" << s.title << "\t(score " << s.score << ")\n";
        }
    });

    auto* del = kbc->add_subcommand("delete", "delete one article");
    del->add_option("ID", a->id, "article id (see kb list)")->required();
    OnRun(del, ctx, [a](const config::Config&, store::Database& db) {
        auto r = kb::KnowledgeBase(db).Delete(a->id);
        if (!r.ok()) {
            throw CommandError{"kb delete " + std::to_string(a->id) + ": " + r.error().message};
        }
        std::cout << "article " << a->id << " deleted\n";
    });

    auto* stats = kbc->add_subcommand(
        "stats", "deflection: conversations with suggestions, solved, most failing articles");
    AddJsonFlag(stats, *a);
    OnRun(stats, ctx, [a](const config::Config&, store::Database& db) {
        const auto s = kb::KnowledgeBase(db).Stats();
        json failing = json::array();
        for (const auto& f : s.most_failing) {
            failing.push_back({{"id", f.id},
                               {"title", f.title},
                               {"shown", f.shown},
                               {"opened", f.opened},
                               {"solved", f.solved},
                               {"unsolved", f.unsolved}});
        }
        if (a->json) {
            std::cout << Dump({{"conversations_with_suggestions", s.conversations_with_suggestions},
                               {"solved", s.solved},
                               {"deflection_rate", s.deflection_rate},
                               {"most_failing", failing}})
                      << "\n";
            return;
        }
        std::cout << "conversations with suggestions: " << s.conversations_with_suggestions
                  << "\nsolved by an article: " << s.solved
                  << "\ndeflection rate: " << s.deflection_rate * 100 << " %\n";
        for (const auto& f : s.most_failing) {
            std::cout << "  " << f.id << "\t" << f.title << "\t没解决 " << f.unsolved << "\n";
        }
    });

    auto* gaps = kbc->add_subcommand(
        "gaps",
        "what to write next: questions that found nothing or were not solved, grouped by "
        "wording, most asked first, with the tickets they became");
    gaps->add_option("--from", a->from, "first day, YYYY-MM-DD (default: 30 days ago)");
    gaps->add_option("--to", a->to, "last day, YYYY-MM-DD (default: today)");
    AddJsonFlag(gaps, *a);
    OnRun(gaps, ctx, [a](const config::Config& cfg, store::Database& db) {
        auto offset = tickets::sla::ParseUtcOffset(cfg.tickets.business_hours.utc_offset);
        const std::int64_t off = offset ? *offset : 8 * 3600;
        const std::int64_t now = SystemClock().NowSeconds();
        // Local midnight of a YYYY-MM-DD, as unix seconds.
        auto day = [&](const std::string& text, const char* what) -> std::int64_t {
            int y = 0;
            unsigned m = 0;
            unsigned d = 0;
            char rest = 0;
            if (std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &rest) != 3) {
                throw CommandError{std::string(what) + ": expected YYYY-MM-DD, got '" + text + "'"};
            }
            const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                                  std::chrono::day(d)};
            if (!ymd.ok()) {
                throw CommandError{std::string(what) + ": no such date '" + text + "'"};
            }
            return std::chrono::sys_days(ymd).time_since_epoch().count() * 86400LL - off;
        };
        const std::int64_t today = tickets::sla::LocalDay(off, now) * 86400 - off;
        const std::int64_t from = a->from.empty() ? today - 29 * 86400 : day(a->from, "--from");
        const std::int64_t to = (a->to.empty() ? today : day(a->to, "--to")) + 86400;
        if (to <= from) {
            throw CommandError{"--to is before --from"};
        }
        const auto found = kb::KnowledgeBase(db).Gaps(from, to, 50);
        if (a->json) {
            json out = json::array();
            for (const auto& g : found) {
                out.push_back({{"question", g.sample},
                               {"count", g.count},
                               {"not_found", g.not_found},
                               {"unsolved", g.unsolved},
                               {"examples", g.examples},
                               {"tickets", g.tickets}});
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        if (found.empty()) {
            std::cout << "no gaps: every question in the period found an article that helped\n";
            return;
        }
        for (const auto& g : found) {
            std::cout << g.count << "×\t" << g.sample << "\t(未找到 " << g.not_found << "，没解决 "
                      << g.unsolved << ")";
            for (const auto& e : g.examples) {
                std::cout << "\n\t也问：" << e;
            }
            if (!g.tickets.empty()) {
                std::cout << "\n\t工单：";
                for (std::size_t i = 0; i < g.tickets.size(); ++i) {
                    std::cout << (i == 0 ? "" : " ") << g.tickets[i];
                }
            }
            std::cout << "\n";
        }
    });

    auto* learning = kbc->add_subcommand(
        "learning",
        "what 解决了 / 没解决 and tickets filed after suggestions taught the ranking, per article");
    AddJsonFlag(learning, *a);
    OnRun(learning, ctx, [a](const config::Config&, store::Database& db) {
        if (a->reset) {
            auto r = kb::KnowledgeBase(db).ResetLearning(a->id);
            if (!r) {
                throw CommandError{"kb learning --reset: " + r.error().message};
            }
            std::cout << "forgot " << *r << " learned signal(s)"
                      << (a->id > 0 ? " of article " + std::to_string(a->id) : "") << "\n";
            return;
        }
        const auto all = kb::KnowledgeBase(db).Learning();
        if (a->json) {
            json out = json::array();
            for (const auto& l : all) {
                out.push_back({{"id", l.id},
                               {"title", l.title},
                               {"solved", l.solved},
                               {"unsolved", l.unsolved},
                               {"tickets", l.tickets},
                               {"factor", l.factor},
                               {"questions", l.questions}});
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        if (all.empty()) {
            std::cout << "nothing learned yet (or everything was reset)\n";
            return;
        }
        for (const auto& l : all) {
            std::cout << l.id << "\t" << l.title << "\t×" << fmt::format("{:.2f}", l.factor)
                      << "\t(解决 " << l.solved << "，没解决 " << l.unsolved << "，转工单 "
                      << l.tickets << ")";
            for (const auto& q : l.questions) {
                std::cout << "\n\t问：" << q;
            }
            std::cout << "\n";
        }
    });
    learning->add_flag("--reset", a->reset, "forget what was learned (all articles, or --article)");
    learning->add_option("--article", a->id, "only this article id (with --reset)");

    auto* syn = kbc->add_subcommand("synonyms", "groups of equivalent search terms");
    syn->require_subcommand(1);
    auto* syn_list = syn->add_subcommand("list", "built-in groups (id 0) and added ones");
    AddJsonFlag(syn_list, *a);
    OnRun(syn_list, ctx, [a](const config::Config&, store::Database& db) {
        const auto groups = kb::KnowledgeBase(db).ListSynonyms();
        if (a->json) {
            json out = json::array();
            for (const auto& g : groups) {
                out.push_back({{"id", g.id}, {"builtin", g.builtin}, {"terms", g.terms}});
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        for (const auto& g : groups) {
            std::cout << (g.builtin ? std::string("built-in") : std::to_string(g.id)) << "\t"
                      << Join(g.terms, ", ") << "\n";
        }
    });
    auto* syn_add = syn->add_subcommand("add", "add a group of at least two equivalent terms");
    syn_add->add_option("TERM", a->terms, "the terms (two or more)")->required()->expected(2, -1);
    OnRun(syn_add, ctx, [a](const config::Config&, store::Database& db) {
        auto id = kb::KnowledgeBase(db).AddSynonyms(a->terms);
        if (!id.ok()) {
            throw CommandError{"kb synonyms add: " + id.error().message};
        }
        std::cout << "synonym group " << *id << " added\n";
    });
    auto* syn_del = syn->add_subcommand("delete", "delete an added synonym group");
    syn_del->add_option("ID", a->id, "group id (see kb synonyms list)")->required();
    OnRun(syn_del, ctx, [a](const config::Config&, store::Database& db) {
        auto r = kb::KnowledgeBase(db).DeleteSynonyms(a->id);
        if (!r.ok()) {
            throw CommandError{"kb synonyms delete " + std::to_string(a->id) + ": " +
                               r.error().message};
        }
        std::cout << "synonym group " << a->id << " deleted\n";
    });
}

// --- db, audit, outbox ---

void AddDb(CLI::App* admin, CliContext& ctx, const std::shared_ptr<AdminArgs>& a) {
    auto* dbc = admin->add_subcommand("db", "the SQLite database: backup, migrate");
    dbc->require_subcommand(1);
    auto* backup = dbc->add_subcommand(
        "backup", "consistent online copy (SQLite backup API), safe while the server runs");
    backup->add_option("FILE", a->file, "where to write the copy (a new file, mode 0600)")
        ->required();
    backup->add_flag("--force", a->force, "replace FILE if it exists");
    OnRun(backup, ctx, [a](const config::Config&, store::Database& db) {
        if (!a->force && std::filesystem::exists(a->file)) {
            throw CommandError{"db backup: " + a->file +
                               " exists; choose a new name or add --force to replace it"};
        }
        db.Backup(a->file, a->force);
        std::cout << "backup of " << db.path() << " written to " << a->file << " (schema version "
                  << db.SchemaVersion() << ")\n";
    });
    auto* migrate = dbc->add_subcommand(
        "migrate", "apply pending schema migrations (opening does it) and print the version");
    OnRun(migrate, ctx, [](const config::Config&, store::Database& db) {
        std::cout << db.path() << ": schema version " << db.SchemaVersion() << "\n";
    });
}

void AddAudit(CLI::App* admin, CliContext& ctx, const std::shared_ptr<AdminArgs>& a) {
    auto* audit = admin->add_subcommand(
        "audit", "the password reset / unlock audit trail, newest first (no secrets in it)");
    audit->add_option("--user", a->audit_user, "only this WeCom UserID");
    audit->add_option("--limit", a->limit, "at most this many rows")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    AddJsonFlag(audit, *a);
    OnRun(audit, ctx, [a](const config::Config& cfg, store::Database& db) {
        OfflineReset offline(cfg, db);
        auto& service = offline.service;
        const auto rows = service.Audit(a->audit_user, a->limit);
        if (a->json) {
            json out = json::array();
            for (const auto& r : rows) {
                out.push_back({{"at", r.at},
                               {"userid", r.userid},
                               {"account", r.account},
                               {"action", r.action},
                               {"outcome", r.outcome},
                               {"detail", r.detail}});
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        for (const auto& r : rows) {
            std::cout << FormatTime(r.at) << "  " << r.userid << "  "
                      << (r.account.empty() ? "-" : r.account) << "  " << r.action << " "
                      << r.outcome << (r.detail.empty() ? "" : "  " + r.detail) << "\n";
        }
        std::cout << rows.size() << " row(s)\n";
    });
}

void AddReset(CLI::App* admin, CliContext& ctx, const std::shared_ptr<AdminArgs>& a) {
    auto* rs = admin->add_subcommand("reset", "self-service password reset / unlock");
    rs->require_subcommand(1);
    auto* unlock = rs->add_subcommand(
        "unlock",
        "reopen self-service for a person closed after too many wrong codes (clears their "
        "wrong codes of the last 24 h and those to their phone)");
    unlock->add_option("USERID", a->userid, "WeCom UserID")->required();
    OnRun(unlock, ctx, [a](const config::Config& cfg, store::Database& db) {
        OfflineReset offline(cfg, db);
        auto& service = offline.service;
        const int cleared = service.Reopen(a->userid);
        std::cout << "self-service reopened for " << a->userid << " (" << cleared
                  << " wrong code(s) cleared)\n";
    });
}

json OutboxJson(const outbox::OutboxEntry& e) {
    auto body = json::parse(e.body, nullptr, false);
    return {{"id", e.id},
            {"userid", e.userid},
            {"kind", e.kind},
            {"msgtype", e.msgtype},
            {"body", body.is_discarded() ? json(e.body) : body},
            {"task_id", e.task_id},
            {"status", e.status},
            {"attempts", e.attempts},
            {"next_attempt_at", e.next_attempt_at},
            {"first_attempt_at", e.first_attempt_at},
            {"created_at", e.created_at},
            {"sent_at", e.sent_at},
            {"msgid", e.msgid},
            {"last_error", e.last_error}};
}

void AddOutbox(CLI::App* admin, CliContext& ctx, const std::shared_ptr<AdminArgs>& a) {
    auto* ob = admin->add_subcommand("outbox", "app messages queued for WeCom: list, retry");
    ob->require_subcommand(1);
    auto* list = ob->add_subcommand("list", "queued messages, newest first");
    list->add_option("--status", a->status, "only pending, parked or sent")
        ->check(CLI::IsMember({"pending", "parked", "sent"}));
    list->add_option("--limit", a->limit, "at most this many rows")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    AddJsonFlag(list, *a);
    OnRun(list, ctx, [a](const config::Config&, store::Database& db) {
        SystemClock clock;
        outbox::Outbox box(db, clock);
        const auto rows = box.List(a->status, a->limit);
        if (a->json) {
            json out = json::array();
            for (const auto& e : rows) {
                out.push_back(OutboxJson(e));
            }
            std::cout << Dump(out) << "\n";
            return;
        }
        const auto stats = box.Stats();
        for (const auto& e : rows) {
            std::cout << e.id << "\t" << e.status << "\t" << e.userid << "\t" << e.msgtype
                      << "\tattempts " << e.attempts << "\t" << FormatTime(e.created_at)
                      << (e.last_error.empty() ? "" : "\t" + e.last_error) << "\n";
        }
        std::cout << "pending " << stats.pending << ", parked " << stats.parked << ", sent "
                  << stats.sent << "\n";
    });
    auto* retry = ob->add_subcommand(
        "retry", "send a parked message again (due now, with a fresh attempt budget)");
    auto* id_opt =
        retry->add_option("ID", a->id, "outbox row id (see outbox list --status parked)");
    auto* all_opt =
        retry->add_flag("--parked", a->all_parked,
                        "every parked message (e.g. after fixing a configuration error)");
    id_opt->excludes(all_opt);
    all_opt->excludes(id_opt);
    OnRun(retry, ctx, [a](const config::Config&, store::Database& db) {
        SystemClock clock;
        if (a->all_parked) {
            const int n = outbox::Outbox(db, clock).RetryParked();
            std::cout << n << " parked message(s) queued again\n";
            return;
        }
        if (a->id <= 0) {
            throw CommandError{"outbox retry: give an ID or --parked"};
        }
        auto r = outbox::Outbox(db, clock).Retry(a->id);
        if (!r.ok()) {
            throw CommandError{"outbox retry " + std::to_string(a->id) + ": " +
                               (r.error().code == Errc::kNotFound    ? "no such message"
                                : r.error().code == Errc::kNotParked ? "the message is not parked"
                                                                     : r.error().message)};
        }
        std::cout << "message " << a->id << " queued again\n";
    });
}

// --- tickets, stats ---

/// Runs `fn` with a TicketService over `db` (read-only use: notifications are dropped).
template <class Fn>
void WithTickets(const config::Config& cfg, store::Database& db, Fn fn) {
    NoNotifier notifier;
    SystemClock clock;
    tickets::TicketService service(db, cfg.tickets, notifier, clock);
    fn(service);
}

void AddTickets(CLI::App* admin, CliContext& ctx, const std::shared_ptr<AdminArgs>& a) {
    auto* tk = admin->add_subcommand("tickets", "IT tickets: list, show");
    tk->require_subcommand(1);
    auto* list = tk->add_subcommand("list", "all tickets, newest first");
    list->add_option("--status", a->status,
                     "only new, assigned, in_progress, waiting, resolved, closed or cancelled")
        ->check(CLI::IsMember(
            {"new", "assigned", "in_progress", "waiting", "resolved", "closed", "cancelled"}));
    AddJsonFlag(list, *a);
    OnRun(list, ctx, [a](const config::Config& cfg, store::Database& db) {
        WithTickets(cfg, db, [&](tickets::TicketService& service) {
            std::optional<tickets::Status> status;
            if (!a->status.empty()) {
                status = tickets::ParseStatus(a->status);
            }
            auto all = service.AdminList(status);
            if (!all.ok()) {
                throw CommandError{"tickets list: " + all.error().message};
            }
            if (a->json) {
                json out = json::array();
                for (const auto& t : *all) {
                    out.push_back(tickets::ToJson(t));
                }
                std::cout << Dump(out) << "\n";
                return;
            }
            for (const auto& t : *all) {
                std::cout << t.no << "\t" << tickets::StatusKey(t.status) << "\t" << t.priority
                          << "\t" << t.requester << "\t" << (t.assignee.empty() ? "-" : t.assignee)
                          << "\t" << FormatTime(t.created_at) << "\t" << t.description << "\n";
            }
            std::cout << all->size() << " ticket(s)\n";
        });
    });

    auto* show = tk->add_subcommand("show", "one ticket with its full event timeline");
    show->add_option("NO", a->ticket_no, "ticket number, e.g. IT20261127-0001")->required();
    AddJsonFlag(show, *a);
    OnRun(show, ctx, [a](const config::Config& cfg, store::Database& db) {
        WithTickets(cfg, db, [&](tickets::TicketService& service) {
            auto d = service.AdminGet(a->ticket_no);
            if (!d.ok()) {
                throw CommandError{
                    "tickets show " + a->ticket_no + ": " +
                    (d.error().code == Errc::kNotFound ? "no such ticket" : d.error().message)};
            }
            const auto dir = std::filesystem::path(cfg.tickets.attachments.dir);
            if (a->json) {
                auto j = tickets::ToJson(*d);
                for (auto& f : j["attachments"]) {
                    const auto rel = f.value("path", "");
                    f["file"] = rel.empty() ? "" : std::filesystem::absolute(dir / rel).string();
                }
                std::cout << Dump(j) << "\n";
                return;
            }
            std::cout << tickets::FormatDetail(*d, service.utc_offset_s()) << "\n";
            if (!d->ticket.attachments.empty()) {
                std::cout << "Files:\n";
                for (const auto& f : d->ticket.attachments) {
                    std::cout << "  " << tickets::DescribeAttachment(f);
                    if (f.state == "stored") {
                        std::cout << "\n    " << std::filesystem::absolute(dir / f.path).string();
                    }
                    std::cout << "\n";
                }
            }
        });
    });

    auto* stats = admin->add_subcommand(
        "stats", "counts by status, SLA met/breached, mean time to accept/resolve, CSAT, load");
    AddJsonFlag(stats, *a);
    OnRun(stats, ctx, [a](const config::Config& cfg, store::Database& db) {
        WithTickets(cfg, db, [&](tickets::TicketService& service) {
            auto s = service.Stats();
            if (!s.ok()) {
                throw CommandError{"stats: " + s.error().message};
            }
            if (a->json) {
                std::cout << Dump(tickets::ToJson(*s)) << "\n";
                return;
            }
            std::cout << tickets::FormatStats(*s);
        });
    });
}

// --- wecom ---

void AddWecom(CLI::App* admin, CliContext& ctx) {
    auto* wc = admin->add_subcommand("wecom", "set-up calls to the WeCom API");
    wc->require_subcommand(1);
    auto* menu = wc->add_subcommand(
        "menu-create",
        "create the app's custom menu (报修 / 我的工单 / 重置密码) with menu/create at "
        "wecom.api_base");
    menu->callback([&ctx] {
        auto cfg = LoadConfigOrReport(ctx);
        if (!cfg) {
            ctx.exit_code = 2;
            return;
        }
        log::Setup("warn", "text");
        SystemClock clock;
        wecom::ApiClient client(cfg->wecom.api_base, cfg->wecom.corp_id, cfg->wecom.secret,
                                cfg->wecom.agent_id, clock, 10);
        const json body = {
            {"button",
             json::array(
                 {{{"type", "click"}, {"name", "报修"}, {"key", "MENU_NEW_TICKET"}},
                  {{"type", "click"}, {"name", "我的工单"}, {"key", "MENU_MY_TICKETS"}},
                  {{"type", "click"}, {"name", "重置密码"}, {"key", "MENU_RESET_PASSWORD"}}})}};
        auto r = client.CreateMenu(body);
        if (!r.ok()) {
            std::cerr << "wedesk: menu-create failed: " << r.error().CodeText() << ": "
                      << r.error().message << "\n";
            ctx.exit_code = 1;
            return;
        }
        std::cout << "menu created for agent " << cfg->wecom.agent_id
                  << ": 报修 (MENU_NEW_TICKET), 我的工单 (MENU_MY_TICKETS), 重置密码 "
                     "(MENU_RESET_PASSWORD)\n";
        ctx.exit_code = 0;
    });
}

}  // namespace

void AddAdminCommands(CLI::App& cli, CliContext& ctx) {
    auto* admin = cli.add_subcommand(
        "admin", "administration: users, duty, kb, tickets, stats, audit, outbox, db, wecom");
    admin->fallthrough();
    admin->require_subcommand(1);
    auto args = std::make_shared<AdminArgs>();
    AddUsers(admin, ctx, args);
    AddKb(admin, ctx, args);
    AddTickets(admin, ctx, args);
    AddAudit(admin, ctx, args);
    AddOutbox(admin, ctx, args);
    AddReset(admin, ctx, args);
    AddDb(admin, ctx, args);
    AddWecom(admin, ctx);
    AddDirectoryAdminCommands(*admin, ctx);
}

}  // namespace wedesk::app
