// Crash safety of the real binary: a stream of create-ticket dialogs from many users while
// wedesk is killed with SIGKILL at random moments and restarted. Like WeCom, every message that
// did not get a 200 is sent again with the same MsgId, and some that did get one are sent again
// too. At the end the SQLite file must show every dialog step applied exactly once: one ticket
// per completed dialog with the chosen category and urgency, one inbound_messages row per
// MsgId, one queued card per ticket, no dialog left open, and PRAGMA integrity_check = ok.
// Retries of acknowledged messages must return the reply first given.
//
// Rounds: WEDESK_CRASH_ROUNDS (default 3; `scripts/crash-test.sh 10` runs ten in a row),
// seed: WEDESK_CRASH_SEED (each round uses seed + round; printed on failure).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "fakes/temp_dir.hpp"
#include "server_helpers.hpp"
#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/sim/wecom_client.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/user_repository.hpp"
#include "wedesk/wecom/crypto.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using wedesk::testing::TempDir;
namespace sim = wedesk::sim;

constexpr int kUsers = 32;
constexpr int kDialogsPerUser = 6;
constexpr int kSenders = 4;
constexpr int kKillsPerRound = 4;
constexpr int kEngineers = 8;
constexpr auto kReadyTimeout = 30s;
constexpr auto kStuckTimeout = 60s;
const char* const kPriorities[] = {"P3", "P2", "P1"};  // urgency 1, 2, 3

int EnvInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The real `wedesk serve` as a child process, stderr to a log file per start.
class Child {
public:
    Child(std::string config_path, std::string log_prefix)
        : config_(std::move(config_path)), log_prefix_(std::move(log_prefix)) {}
    ~Child() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }

    /// Starts and waits (bounded polling) until the log names the port and /healthz answers 200.
    int Start() {
        const std::string log = log_prefix_ + std::to_string(++starts_) + ".log";
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::string bin = WEDESK_BINARY, serve = "serve", flag = "--config";
        char* argv[] = {bin.data(), serve.data(), flag.data(), config_.data(), nullptr};
        const int rc = posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) {
            throw std::runtime_error("posix_spawn failed");
        }
        const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
        port_ = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            if (port_ == 0) {
                const std::string text = ReadFile(log);
                const std::string mark = "listening on 127.0.0.1:";
                if (const auto at = text.find(mark); at != std::string::npos) {
                    port_ = std::atoi(text.c_str() + at + mark.size());
                }
            }
            if (port_ > 0) {
                httplib::Client c("127.0.0.1", port_);
                c.set_connection_timeout(1, 0);
                if (auto res = c.Get("/healthz"); res && res->status == 200) {
                    return port_;
                }
            }
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("wedesk exited at start-up: " + ReadFile(log));
            }
            std::this_thread::sleep_for(20ms);  // bounded poll of another process's readiness
        }
        throw std::runtime_error("wedesk not ready in time: " + ReadFile(log));
    }

    void Kill9() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    /// SIGTERM and wait; the exit status.
    int Stop() {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    /// What the current (last started) process wrote.
    std::string Log() const { return ReadFile(log_prefix_ + std::to_string(starts_) + ".log"); }
    /// What every process started so far wrote, in order.
    std::string AllLogs() const {
        std::string all;
        for (int i = 1; i <= starts_; ++i) {
            all += ReadFile(log_prefix_ + std::to_string(i) + ".log");
        }
        return all;
    }

private:
    std::string config_;
    std::string log_prefix_;
    pid_t pid_ = -1;
    int port_ = 0;
    int starts_ = 0;
};

struct Message {
    std::string user;
    std::string msg_id;
    std::string text;
    // Filled by the sender when the first 200 arrives.
    bool acked = false;
    std::string first_reply;
    int attempts = 0;
};

/// The text message `m` as WeCom delivers it (again with the same MsgId on every retry).
wedesk::wecom::InboundMessage Delivery(const Message& m) {
    wedesk::wecom::InboundMessage in;
    in.from_user = m.user;
    in.type = wedesk::wecom::MsgType::kText;
    in.raw_type = "text";
    in.content = m.text;
    in.msg_id = m.msg_id;
    return in;
}

struct UserPlan {
    std::string id;
    std::vector<std::size_t> messages;  // indexes into Round::messages, in order
    std::size_t cursor = 0;
};

struct Expected {
    std::string user;
    std::string description;
    std::string category;
    std::string priority;
    std::size_t confirm_message = 0;
};

class Round {
public:
    Round(int round, std::uint64_t seed) : round_(round), rng_(seed) {}

    void Run();

private:
    void Setup();
    void Sender(std::vector<std::size_t> users, std::uint64_t seed);
    void RetrySample(std::size_t n);
    void Verify();
    sim::SimClient MakeClient(int port, wedesk::Random& random);

    int round_;
    std::mt19937_64 rng_;
    TempDir dir_;
    std::string config_path_;
    wedesk::config::Config config_;
    std::unique_ptr<wedesk::sim::ApiEmulator> api_;
    std::unique_ptr<wedesk::wecom::WecomCrypto> crypto_;
    std::unique_ptr<Child> child_;
    wedesk::SystemClock clock_;

    std::vector<Message> messages_;
    std::vector<UserPlan> users_;
    std::vector<Expected> expected_;

    std::mutex mu_;
    std::condition_variable cv_;
    int port_ = 0;
    int epoch_ = 0;
    long long acks_ = 0;
    int senders_done_ = 0;
    std::vector<std::string> failures_;  // anything that must never happen
    std::atomic<long long> retries_ok_{0};
};

sim::SimClient Round::MakeClient(int port, wedesk::Random& random) {
    return sim::SimClient("http://127.0.0.1:" + std::to_string(port), config_.wecom.callback_path,
                          *crypto_, config_.wecom.agent_id, clock_, random);
}

void Round::Setup() {
    auto j = wedesk::testing::BaseConfigJson(dir_.path().string());
    api_ = std::make_unique<wedesk::sim::ApiEmulator>(j["wecom"]["corp_id"].get<std::string>(),
                                                      j["wecom"]["secret"].get<std::string>(),
                                                      j["wecom"]["agent_id"].get<int>());
    const int api_port = api_->Start("127.0.0.1", 0);
    REQUIRE(api_port > 0);
    j["wecom"]["api_base"] = "http://127.0.0.1:" + std::to_string(api_port);
    j["log"]["level"] = "info";  // the start-up line names the port
    // One group handles everything, with enough engineers on duty that WeCom's per-member pacing
    // (30 messages a minute) does not hold the cards back.
    nlohmann::json all = nlohmann::json::array();
    for (const auto& c : wedesk::config::DefaultCategories()) {
        all.push_back(c.key);
    }
    j["tickets"]["groups"] = {{{"name", "all"}, {"categories", all}}};
    config_path_ = dir_.File("wedesk.json");
    std::ofstream(config_path_) << j.dump(2);
    auto cfg = wedesk::config::Parse(j.dump());
    REQUIRE(cfg.ok());
    config_ = std::move(cfg.value());
    auto crypto = wedesk::wecom::WecomCrypto::Create(
        config_.wecom.token, config_.wecom.encoding_aes_key, config_.wecom.corp_id);
    REQUIRE(crypto.ok());
    crypto_ = std::make_unique<wedesk::wecom::WecomCrypto>(std::move(crypto.value()));

    // People: the requesters and the engineers on duty tickets are dispatched to (one card each).
    {
        auto db = wedesk::store::Database::Open(config_.database.path, wedesk::schema::All());
        std::string csv = "userid,name,mobile,account,department,role,groups\n";
        for (int e = 0; e < kEngineers; ++e) {
            csv += "eng" + std::to_string(e) + ",工程师" + std::to_string(e) + ",1380000" +
                   std::to_string(1000 + e) + ",eng" + std::to_string(e) + ",IT,engineer,all\n";
        }
        for (int u = 0; u < kUsers; ++u) {
            const std::string id = "crash" + std::to_string(u);
            csv += id + ",员工" + std::to_string(u) + ",1390000" + std::to_string(1000 + u) + "," +
                   id + ",业务部,employee,\n";
        }
        wedesk::store::UserRepository users(*db);
        auto r = users.ImportCsv(csv, clock_.NowSeconds());
        REQUIRE(r.ok());
        for (int e = 0; e < kEngineers; ++e) {
            REQUIRE(users.SetDuty("eng" + std::to_string(e), true, clock_.NowSeconds()).ok());
        }
    }

    const auto categories = wedesk::config::DefaultCategories();
    for (int u = 0; u < kUsers; ++u) {
        UserPlan plan;
        plan.id = "crash" + std::to_string(u);
        for (int k = 0; k < kDialogsPerUser; ++k) {
            const int cat = static_cast<int>(rng_() % categories.size()) + 1;
            const int urgency = static_cast<int>(rng_() % 3) + 1;
            Expected e;
            e.user = plan.id;
            e.description = "第" + std::to_string(k) + "单：" + plan.id + " 的电脑故障 r" +
                            std::to_string(round_);
            e.category = categories[static_cast<std::size_t>(cat - 1)].key;
            e.priority = kPriorities[urgency - 1];
            for (const std::string& t : {std::string("报修"), std::to_string(cat), e.description,
                                         std::to_string(urgency), std::string("确认")}) {
                Message m;
                m.user = plan.id;
                m.msg_id = std::to_string(7000000000000000000ULL + messages_.size());
                m.text = t;
                plan.messages.push_back(messages_.size());
                messages_.push_back(std::move(m));
            }
            e.confirm_message = messages_.size() - 1;
            expected_.push_back(e);
        }
        users_.push_back(std::move(plan));
    }
}

void Round::Sender(std::vector<std::size_t> users, std::uint64_t seed) {
    wedesk::OpenSslRandom random;
    std::mt19937_64 rng(seed);
    int client_epoch = -1;
    std::unique_ptr<sim::SimClient> client;
    auto fail = [&](const std::string& what) {
        std::lock_guard lock(mu_);
        failures_.push_back(what);
    };
    for (;;) {
        bool sent_any = false;
        for (auto u : users) {
            auto& plan = users_[u];
            if (plan.cursor >= plan.messages.size()) {
                continue;
            }
            sent_any = true;
            auto& m = messages_[plan.messages[plan.cursor]];
            const auto stuck_deadline = std::chrono::steady_clock::now() + kStuckTimeout;
            for (;;) {
                int epoch = 0, port = 0;
                {
                    std::lock_guard lock(mu_);
                    epoch = epoch_;
                    port = port_;
                }
                if (epoch != client_epoch) {
                    client = std::make_unique<sim::SimClient>(
                        "http://127.0.0.1:" + std::to_string(port), config_.wecom.callback_path,
                        *crypto_, config_.wecom.agent_id, clock_, random);
                    client_epoch = epoch;
                }
                const auto in = Delivery(m);
                ++m.attempts;
                auto r = client->Send(in);
                const int status = r.ok() ? r->status : 0;
                if (status == 200) {
                    {
                        std::lock_guard lock(mu_);
                        if (!m.acked) {
                            m.acked = true;
                            m.first_reply = r->content;
                        } else if (m.first_reply != r->content) {
                            failures_.push_back("retry of " + m.msg_id + " got another reply");
                        }
                        ++acks_;
                    }
                    cv_.notify_all();
                    // Sometimes WeCom retries at once although we answered: same MsgId again.
                    if (rng() % 8 == 0) {
                        auto again = client->Send(in);
                        if (again.ok() && again->status == 200) {
                            if (again->content != m.first_reply) {
                                fail("immediate retry of " + m.msg_id + " got another reply");
                            }
                            ++retries_ok_;
                        }
                    }
                    break;
                }
                if (status >= 400 && status < 500) {
                    fail("message " + m.msg_id + " refused with " + std::to_string(status));
                    break;
                }
                if (std::chrono::steady_clock::now() > stuck_deadline) {
                    fail("message " + m.msg_id + " never got a 200");
                    break;
                }
                // Down (killed) or 5xx: wait for the restart, or retry shortly, like WeCom.
                std::unique_lock lock(mu_);
                cv_.wait_for(lock, 50ms, [&] { return epoch_ != epoch; });
            }
            ++plan.cursor;
        }
        if (!sent_any) {
            break;
        }
    }
    {
        std::lock_guard lock(mu_);
        ++senders_done_;
    }
    cv_.notify_all();
}

void Round::RetrySample(std::size_t n) {
    std::vector<std::size_t> acked;
    {
        std::lock_guard lock(mu_);
        for (std::size_t i = 0; i < messages_.size(); ++i) {
            if (messages_[i].acked) {
                acked.push_back(i);
            }
        }
    }
    wedesk::OpenSslRandom random;
    auto client = MakeClient(port_, random);
    for (std::size_t k = 0; k < n && !acked.empty(); ++k) {
        const auto& m = messages_[acked[rng_() % acked.size()]];
        const auto in = Delivery(m);
        auto r = client.Send(in);
        INFO("retry of " << m.msg_id);
        REQUIRE(r.ok());
        CHECK(r->status == 200);
        CHECK(r->content == m.first_reply);
        ++retries_ok_;
    }
}

void Round::Run() {
    Setup();
    child_ = std::make_unique<Child>(config_path_, dir_.File("wedesk-"));
    port_ = child_->Start();

    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
        std::vector<std::size_t> mine;
        for (std::size_t u = static_cast<std::size_t>(s); u < users_.size(); u += kSenders) {
            mine.push_back(u);
        }
        senders.emplace_back([this, mine, seed = rng_()] { Sender(mine, seed); });
    }
    int kills = 0;
    for (int k = 0; k < kKillsPerRound; ++k) {
        // Let some traffic through first, then kill after a random extra delay.
        const long long need = static_cast<long long>(10 + rng_() % 60);
        {
            std::unique_lock lock(mu_);
            const long long from = acks_;
            const bool flowing = cv_.wait_for(lock, kStuckTimeout, [&] {
                return acks_ - from >= need || senders_done_ == kSenders;
            });
            // Once the senders are done, still crash at least twice: the restarted server
            // must then answer the retries of acknowledged messages from the log.
            if (!flowing || (senders_done_ == kSenders && kills >= 2)) {
                break;
            }
        }
        std::this_thread::sleep_for(
            std::chrono::microseconds(rng_() % 20000));  // the random moment
        child_->Kill9();
        ++kills;
        const int port = child_->Start();
        {
            std::lock_guard lock(mu_);
            port_ = port;
            ++epoch_;
        }
        cv_.notify_all();
        RetrySample(10);
    }
    for (auto& t : senders) {
        t.join();
    }
    {
        std::lock_guard lock(mu_);
        INFO(failures_.size() << " failures, first: "
                              << (failures_.empty() ? "" : failures_.front()));
        REQUIRE(failures_.empty());
    }
    CHECK(kills >= 2);  // the round must actually have crashed the server more than once
    RetrySample(30);
    // Every ticket's card reaches the (emulated) WeCom API: the outbox drains after the crashes.
    CHECK(api_->WaitForMessages(expected_.size(), 60s));
    const int exit_status = child_->Stop();
    INFO("the server's output:\n" << child_->Log());
    REQUIRE(exit_status == 0);
    {
        // No process reported a misuse of a database connection (store::Database::WatchOwner).
        const std::string logs = child_->AllLogs();
        const auto bug = logs.find("bug: ");
        INFO((bug == std::string::npos ? std::string() : logs.substr(bug, 400)));
        CHECK(bug == std::string::npos);
    }
    Verify();
    long long attempts = 0;
    for (const auto& m : messages_) {
        attempts += m.attempts;
    }
    std::cout << "crash round " << round_ << ": " << messages_.size() << " messages ("
              << attempts - static_cast<long long>(messages_.size()) << " resent after failures), "
              << retries_ok_.load() << " retries of acknowledged messages, " << kills
              << " kill -9, " << expected_.size() << " tickets: ok" << std::endl;
}

void Round::Verify() {
    SQLite::Database db(config_.database.path, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    SQLite::Statement fk(db, "PRAGMA foreign_key_check");
    CHECK_FALSE(fk.executeStep());

    // Every MsgId recorded exactly once (the primary key forbids more; none missing).
    CHECK(db.execAndGet("SELECT COUNT(*) FROM inbound_messages").getInt64() ==
          static_cast<long long>(messages_.size()));
    SQLite::Statement has_msg(db, "SELECT COUNT(*) FROM inbound_messages WHERE dedupe_key = ?");
    long long missing = 0;
    for (const auto& m : messages_) {
        has_msg.reset();
        has_msg.bind(1, Delivery(m).DedupeKey());
        has_msg.executeStep();
        missing += has_msg.getColumn(0).getInt64() == 1 ? 0 : 1;
    }
    CHECK(missing == 0);

    // One ticket per dialog, with exactly the answers given at each step.
    CHECK(db.execAndGet("SELECT COUNT(*) FROM tickets").getInt64() ==
          static_cast<long long>(expected_.size()));
    SQLite::Statement ticket(db,
                             "SELECT no, requester, category, priority, COUNT(*) OVER () FROM "
                             "tickets WHERE description = ?");
    SQLite::Statement cards(db, "SELECT COUNT(*) FROM outbox WHERE task_id LIKE ?");
    SQLite::Statement created(
        db,
        "SELECT COUNT(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE "
        "t.no = ? AND e.kind = 'created'");
    std::map<std::string, int> delivered;
    for (const auto& m : api_->Received()) {
        if (m.msgtype == "template_card") {
            ++delivered[m.body["template_card"].value("task_id", "")];
        }
    }
    for (const auto& e : expected_) {
        INFO(e.user << ": " << e.description);
        ticket.reset();
        ticket.bind(1, e.description);
        REQUIRE(ticket.executeStep());
        const std::string no = ticket.getColumn(0).getString();
        CHECK(ticket.getColumn(1).getString() == e.user);
        CHECK(ticket.getColumn(2).getString() == e.category);
        CHECK(ticket.getColumn(3).getString() == e.priority);
        CHECK(ticket.getColumn(4).getInt64() == 1);
        // The confirmation the user got names this very ticket.
        CHECK(messages_[e.confirm_message].first_reply.find(no) != std::string::npos);
        cards.reset();
        cards.bind(1, "t-" + no + "-%");
        cards.executeStep();
        CHECK(cards.getColumn(0).getInt64() == 1);  // one queued notification per ticket
        created.reset();
        created.bind(1, no);
        created.executeStep();
        CHECK(created.getColumn(0).getInt64() == 1);
        CHECK(delivered["t-" + no + "-1"] == 1);  // and WeCom shows it once
    }
    CHECK(db.execAndGet("SELECT COUNT(*) FROM outbox").getInt64() ==
          static_cast<long long>(expected_.size()));
    // Every dialog finished: no half-filed ticket left behind.
    CHECK(db.execAndGet("SELECT COUNT(*) FROM dialogs WHERE flow != ''").getInt64() == 0);
}

}  // namespace

TEST_CASE("kill -9 at random moments: every acknowledged message applied exactly once",
          "[integration][crash]") {
    const int rounds = EnvInt("WEDESK_CRASH_ROUNDS", 3);
    const auto seed = static_cast<std::uint64_t>(EnvInt("WEDESK_CRASH_SEED", 20261127));
    for (int r = 1; r <= rounds; ++r) {
        INFO("round " << r << " of " << rounds << ", seed " << seed + static_cast<std::uint64_t>(r)
                      << " (WEDESK_CRASH_SEED=" << seed << ")");
        Round round(r, seed + static_cast<std::uint64_t>(r));
        round.Run();
    }
}
