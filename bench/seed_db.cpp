// wedesk_seed: creates a wedesk database (all migrations) and fills it for the benchmark:
// employees user00001.., engineers on duty in every dispatch group, a lead per group, an
// admin, and N historical tickets spread over the last two years (each with its "created" and
// "closed" events). Only a fixed number of tickets are still open, as in a real desk: history
// grows, the open queue does not. Direct SQL in one transaction, so 1 M tickets take seconds.
//
//   wedesk_seed --db FILE --tickets 100000 [--users 10000] [--open 200] [--days 730]
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

namespace {

struct Group {
    const char* name;
    std::vector<const char*> categories;
};

// The groups of bench/bench.jsonc over the built-in categories.
const std::vector<Group> kGroups = {
    {"desktop", {"pc", "printer", "software", "other"}},
    {"network", {"network", "email"}},
    {"apps", {"account"}},
};
const char* const kCategories[] = {"pc",      "network",  "email", "printer",
                                   "account", "software", "other"};
constexpr int kEngineersPerGroup = 5;
constexpr std::int64_t kUtcOffsetS = 8 * 3600;  // business_hours.utc_offset +08:00

std::string GroupOf(const std::string& category) {
    for (const auto& g : kGroups) {
        for (const auto* c : g.categories) {
            if (category == c) {
                return g.name;
            }
        }
    }
    return "";
}

std::string LocalDay(std::int64_t t) {
    const std::time_t local = static_cast<std::time_t>(t + kUtcOffsetS);
    std::tm tm{};
    gmtime_r(&local, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fill a wedesk database for the benchmark"};
    std::string path;
    long long tickets = 1000;
    int users = 10000;
    int open = 200;
    int days = 730;
    std::uint64_t seed = 42;
    app.add_option("--db", path, "database file (created and migrated)")->required();
    app.add_option("--tickets", tickets, "historical tickets");
    app.add_option("--users", users, "employees user00001..");
    app.add_option("--open", open, "tickets still open (assigned to engineers)");
    app.add_option("--days", days, "history spread over this many days");
    app.add_option("--seed", seed, "random seed");
    CLI11_PARSE(app, argc, argv);

    try {
        wedesk::store::Database::Open(
            path, wedesk::schema::All());  // creates the file and applies the migrations
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA synchronous=OFF");
        db.exec("PRAGMA cache_size=-200000");
        const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
        std::mt19937_64 rng(seed);
        SQLite::Transaction tx(db);

        SQLite::Statement user(db,
                               "INSERT OR REPLACE INTO users(userid, name, mobile, account, "
                               "department, role, on_duty, created_at, updated_at) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
        SQLite::Statement member(
            db, "INSERT OR REPLACE INTO user_groups(userid, group_name) VALUES (?, ?)");
        auto add_user = [&](const std::string& id, const std::string& name, const std::string& role,
                            bool on_duty, const std::string& dept) {
            user.reset();
            user.bind(1, id);
            user.bind(2, name);
            user.bind(3, "+86138" + std::to_string(10000000 + rng() % 89999999));
            user.bind(4, id);
            user.bind(5, dept);
            user.bind(6, role);
            user.bind(7, on_duty ? 1 : 0);
            user.bind(8, now);
            user.bind(9, now);
            user.exec();
        };
        for (int i = 1; i <= users; ++i) {
            char id[32];
            std::snprintf(id, sizeof id, "user%05d", i);
            add_user(id, std::string("员工") + (id + 4), "employee", false, "业务部");
        }
        std::map<std::string, std::vector<std::string>> engineers;
        for (const auto& g : kGroups) {
            for (int i = 1; i <= kEngineersPerGroup; ++i) {
                const std::string id = std::string("eng_") + g.name + std::to_string(i);
                add_user(id, "工程师" + id.substr(4), "engineer", true, "IT");
                member.reset();
                member.bind(1, id);
                member.bind(2, g.name);
                member.exec();
                engineers[g.name].push_back(id);
            }
            const std::string lead = std::string("lead_") + g.name;
            add_user(lead, "组长" + lead.substr(5), "lead", true, "IT");
            member.reset();
            member.bind(1, lead);
            member.bind(2, g.name);
            member.exec();
        }
        add_user("itadmin", "IT管理员", "admin", false, "IT");

        SQLite::Statement ticket(
            db,
            "INSERT INTO tickets(no, requester, category, group_name, description, priority, "
            "status, assignee, created_at, updated_at, assigned_at, accepted_at, resolved_at, "
            "closed_at, response_due, resolve_due, resolution, rating) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        SQLite::Statement event(db,
                                "INSERT INTO ticket_events(ticket_id, at, actor, kind, detail) "
                                "VALUES (?, ?, ?, ?, ?)");
        std::map<std::string, std::int64_t> seq_by_day;
        const std::int64_t span = std::int64_t{days} * 86400;
        const char* const prios[] = {"P3", "P3", "P3", "P2", "P2", "P1"};
        for (long long i = 0; i < tickets; ++i) {
            // Oldest first, so numbers grow with time; the last `open` ones are still open.
            const std::int64_t created =
                now - span +
                static_cast<std::int64_t>(static_cast<double>(span) * static_cast<double>(i) /
                                          static_cast<double>(tickets));
            const std::string day = LocalDay(created);
            const std::int64_t seq = ++seq_by_day[day];
            char no[48];
            std::snprintf(no, sizeof no, "IT%s-%04lld", day.c_str(), static_cast<long long>(seq));
            char requester[32];
            std::snprintf(requester, sizeof requester, "user%05d",
                          static_cast<int>(rng() % static_cast<std::uint64_t>(users)) + 1);
            const std::string category = kCategories[rng() % std::size(kCategories)];
            const std::string group = GroupOf(category);
            const auto& team = engineers[group];
            const std::string assignee = team[rng() % team.size()];
            const bool still_open = i >= tickets - open;
            const std::int64_t accepted = created + 600;
            const std::int64_t resolved = still_open ? 0 : created + 7200;
            const std::int64_t closed = still_open ? 0 : created + 86400;
            ticket.reset();
            ticket.bind(1, std::string(no));
            ticket.bind(2, std::string(requester));
            ticket.bind(3, category);
            ticket.bind(4, group);
            ticket.bind(5, "历史工单 " + std::string(no) + "：电脑无法开机，已处理");
            ticket.bind(6, prios[rng() % std::size(prios)]);
            ticket.bind(7, still_open ? "in_progress" : (rng() % 20 == 0 ? "cancelled" : "closed"));
            ticket.bind(8, assignee);
            ticket.bind(9, created);
            ticket.bind(10, still_open ? accepted : closed);
            ticket.bind(11, created + 60);
            ticket.bind(12, accepted);
            ticket.bind(13, resolved);
            ticket.bind(14, closed);
            ticket.bind(15, created + 3600);
            ticket.bind(16, created + 86400);
            ticket.bind(17, still_open ? "" : "已重装驱动");
            if (still_open) {
                ticket.bind(18);
            } else {
                ticket.bind(18, static_cast<int>(3 + rng() % 3));
            }
            ticket.exec();
            const std::int64_t id = db.getLastInsertRowid();
            event.reset();
            event.bind(1, id);
            event.bind(2, created);
            event.bind(3, std::string(requester));
            event.bind(4, "created");
            event.bind(5, category);
            event.exec();
            event.reset();
            event.bind(1, id);
            event.bind(2, still_open ? accepted : closed);
            event.bind(3, assignee);
            event.bind(4, still_open ? "accepted" : "closed");
            event.bind(5, "");
            event.exec();
        }
        SQLite::Statement seq(db,
                              "INSERT INTO ticket_seq(day, last) VALUES (?, ?) ON CONFLICT(day) "
                              "DO UPDATE SET last = max(last, excluded.last)");
        for (const auto& [day, last] : seq_by_day) {
            seq.reset();
            seq.bind(1, day);
            seq.bind(2, last);
            seq.exec();
        }
        tx.commit();
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        std::cerr << "seed: " << path << ": " << users << " employees, " << tickets << " tickets ("
                  << open << " open)\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "seed: " << e.what() << "\n";
        return 1;
    }
}
