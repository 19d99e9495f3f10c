// MessagePipeline: exactly-once processing with group commit, on a real SQLite file.
#include "wedesk/app/message_pipeline.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/sql.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_clock.hpp"
#include "fakes/temp_dir.hpp"

using namespace wedesk;

namespace {

wecom::InboundMessage Text(const std::string& id, const std::string& content) {
    wecom::InboundMessage m;
    m.to_user = "wwcorp";
    m.from_user = "zhangsan";
    m.create_time = 1795744800;
    m.raw_type = "text";
    m.type = wecom::MsgType::kText;
    m.msg_id = id;
    m.content = content;
    return m;
}

std::int64_t Count(store::Database& db, const std::string& sql) {
    return db.Conn().execAndGet(sql).getInt64();
}

/// A pipeline whose responder blocks on the message "first" until Release(): deliveries sent
/// meanwhile queue up and are committed as the next batch.
struct Fixture {
    testing::TempDir dir;
    std::unique_ptr<store::Database> db =
        store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());
    testing::FakeClock clock;
    testing::FakeRandom random;
    Sealer sealer{Secret(std::string(32, 'k')), "inbound-log"};
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::mutex mu;
    std::vector<std::string> answered;  // contents the responder saw, in order
    std::atomic<int> commits{0};
    std::unique_ptr<app::MessagePipeline> pipeline;
    // AfterCommit actions that ran: content -> (thread, effect already committed and visible to
    // a fresh connection). Handle() callers: content -> thread.
    std::map<std::string, std::pair<std::thread::id, bool>> after;
    std::map<std::string, std::thread::id> handlers;
    // Jobs the pipeline handed to its external executor (run by the test itself).
    std::vector<std::function<void()>> handed_over;
    std::thread::id writer_thread;

    Fixture() {
        {
            store::WriteTx tx(*db);
            tx.Conn().exec("CREATE TABLE effects (content TEXT NOT NULL)");
            tx.Commit();
        }
        pipeline = std::make_unique<app::MessagePipeline>(
            *db, [this](const wecom::InboundMessage& m) { return Respond(m); }, sealer, clock,
            random,
            [this](std::function<void()> job) {
                std::lock_guard lock(mu);
                writer_thread = std::this_thread::get_id();
                handed_over.push_back(std::move(job));
            });
        pipeline->SetOnCommit([this] { ++commits; });
    }

    bot::BotReply Respond(const wecom::InboundMessage& m) {
        {
            std::lock_guard lock(mu);
            answered.push_back(m.content);
        }
        // An effect in the delivery's transaction, so a rollback is visible.
        wedesk::store::Query ins(db->Conn(), "INSERT INTO effects (content) VALUES (?)");
        ins.bind(1, m.content);
        ins.exec();
        db->AfterCommit([this, content = m.content] {
            bool visible = false;
            std::thread([&] {  // a thread of its own reads through its own connection
                wedesk::store::Query q(db->Conn(),
                                       "SELECT count(*) FROM effects WHERE content = ?");
                q.bind(1, content);
                visible = q.executeStep() && q.getColumn(0).getInt() == 1;
            })
                .join();
            std::lock_guard lock(mu);
            after[content] = {std::this_thread::get_id(), visible};
        });
        if (m.content == "first") {
            entered.set_value();
            released.wait();
        }
        if (m.content == "boom") {
            throw std::runtime_error("responder failed");
        }
        bot::BotReply r;
        r.passive.kind = wecom::PassiveReply::Kind::kText;
        r.passive.text = "echo " + m.content;
        return r;
    }

    /// Blocks the pipeline on "first", queues `others` behind it, then lets it go.
    std::vector<Result<wecom::PassiveReply>> RunBatchBehindFirst(
        const std::vector<wecom::InboundMessage>& others) {
        std::vector<std::optional<Result<wecom::PassiveReply>>> results(others.size() + 1);
        std::vector<std::thread> threads;
        auto handle = [this](const wecom::InboundMessage& m) {
            {
                std::lock_guard lock(mu);
                handlers[m.content] = std::this_thread::get_id();
            }
            return pipeline->Handle(m);
        };
        threads.emplace_back([&] { results[0] = handle(Text("m-first", "first")); });
        entered.get_future().wait();
        for (std::size_t i = 0; i < others.size(); ++i) {
            threads.emplace_back([&, i] { results[i + 1] = handle(others[i]); });
            // Await this one in the queue (no fixed sleep), so the arrival order is known.
            while (pipeline->Queued() < i + 1) {
                std::this_thread::yield();
            }
        }
        release.set_value();
        for (auto& t : threads) {
            t.join();
        }
        std::vector<Result<wecom::PassiveReply>> out;
        for (auto& r : results) {
            out.push_back(std::move(*r));
        }
        return out;
    }
};

}  // namespace

TEST_CASE("deliveries queued behind a batch are committed together, each with its own reply",
          "[unit][pipeline]") {
    Fixture f;
    std::vector<wecom::InboundMessage> others;
    for (int i = 0; i < 5; ++i) {
        others.push_back(Text("m-" + std::to_string(i), "hello " + std::to_string(i)));
    }
    auto results = f.RunBatchBehindFirst(others);
    REQUIRE(results.size() == 6);
    CHECK(results[0].value().text == "echo first");
    for (int i = 0; i < 5; ++i) {
        REQUIRE(results[static_cast<std::size_t>(i + 1)].ok());
        CHECK(results[static_cast<std::size_t>(i + 1)].value().text ==
              "echo hello " + std::to_string(i));
    }
    // A reply is handed on before the writer counts its commit: stop the writer first.
    f.pipeline.reset();
    CHECK(f.commits == 2);  // "first" alone, then the five together
    CHECK(Count(*f.db, "SELECT count(*) FROM inbound_messages") == 6);
    CHECK(Count(*f.db, "SELECT count(*) FROM effects") == 6);
    // Arrival order is kept within the batch.
    CHECK(f.answered ==
          std::vector<std::string>{"first", "hello 0", "hello 1", "hello 2", "hello 3", "hello 4"});
}

TEST_CASE("a delivery that fails is undone alone — the rest of its batch commits",
          "[unit][pipeline]") {
    Fixture f;
    auto results = f.RunBatchBehindFirst(
        {Text("m-a", "before"), Text("m-boom", "boom"), Text("m-b", "after")});
    CHECK(results[1].value().text == "echo before");
    REQUIRE_FALSE(results[2].ok());
    CHECK(results[2].error().code == wedesk::Errc::kInternal);
    CHECK(results[3].value().text == "echo after");
    // The failed delivery left nothing: no effect, no log row, so WeCom's retry is new.
    CHECK(Count(*f.db, "SELECT count(*) FROM effects WHERE content = 'boom'") == 0);
    CHECK(Count(*f.db, "SELECT count(*) FROM effects") == 3);
    CHECK(Count(*f.db, "SELECT count(*) FROM inbound_messages") == 3);
    CHECK(Count(*f.db, "SELECT count(*) FROM inbound_messages WHERE dedupe_key LIKE '%m-boom%'") ==
          0);
}

TEST_CASE("after-commit actions are handed over once their batch committed, not run by the writer",
          "[unit][pipeline]") {
    Fixture f;
    f.RunBatchBehindFirst({Text("m-a", "before"), Text("m-boom", "boom"), Text("m-b", "after")});
    std::vector<std::function<void()>> jobs;
    {
        std::lock_guard lock(f.mu);
        CHECK(f.after.empty());  // nothing ran on the writer: a slow SMS delays no reply
        jobs.swap(f.handed_over);
    }
    REQUIRE(jobs.size() == 3);  // the undone delivery's action is dropped
    for (auto& job : jobs) {
        job();  // here, on the test's thread
    }
    std::lock_guard lock(f.mu);
    REQUIRE(f.after.size() == 3);
    CHECK(f.after.count("boom") == 0);
    for (const char* content : {"first", "before", "after"}) {
        INFO(content);
        REQUIRE(f.after.count(content) == 1);
        CHECK(f.after[content].second);  // committed before it ran
        CHECK(f.after[content].first != f.writer_thread);
    }
}

TEST_CASE("without an external executor, after-commit actions run before the reply is handed on",
          "[unit][pipeline]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());
    testing::FakeClock clock;
    testing::FakeRandom random;
    Sealer sealer{Secret(std::string(32, 'k')), "inbound-log"};
    std::atomic<bool> ran{false};
    app::MessagePipeline pipeline(
        *db,
        [&](const wecom::InboundMessage&) {
            db->AfterCommit([&] { ran = true; });
            return bot::BotReply{};
        },
        sealer, clock, random);
    REQUIRE(pipeline.Handle(Text("m-1", "hi")).ok());
    CHECK(ran);
}

TEST_CASE("a delivery queued past the limit is refused at once, nothing stored",
          "[unit][pipeline]") {
    Fixture f;
    // Hold the writer on "first"; queue kMaxQueue more; the next is refused without waiting.
    std::thread first([&] { (void)f.pipeline->Handle(Text("m-first", "first")); });
    f.entered.get_future().wait();
    std::atomic<int> answered{0};
    for (std::size_t i = 0; i < app::MessagePipeline::kMaxQueue; ++i) {
        f.pipeline->Submit(Text("m-q" + std::to_string(i), "q"),
                           [&](Result<wecom::PassiveReply>) { ++answered; });
    }
    std::optional<Result<wecom::PassiveReply>> refused;
    f.pipeline->Submit(Text("m-over", "over"),
                       [&](Result<wecom::PassiveReply> r) { refused = std::move(r); });
    REQUIRE(refused.has_value());  // answered synchronously, before the writer moved
    REQUIRE_FALSE(refused->ok());
    CHECK(refused->error().code == wedesk::Errc::kOverloaded);
    f.release.set_value();
    first.join();
    f.pipeline.reset();  // drains the queue
    CHECK(answered == static_cast<int>(app::MessagePipeline::kMaxQueue));
    CHECK(Count(*f.db, "SELECT count(*) FROM inbound_messages WHERE dedupe_key LIKE '%m-over%'") ==
          0);
}

TEST_CASE("the same delivery twice in one batch is processed once and answered twice alike",
          "[unit][pipeline]") {
    Fixture f;
    auto results =
        f.RunBatchBehindFirst({Text("m-dup", "once please"), Text("m-dup", "once please")});
    CHECK(results[1].value().text == "echo once please");
    CHECK(results[2].value().text == "echo once please");
    CHECK(Count(*f.db, "SELECT count(*) FROM effects WHERE content = 'once please'") == 1);
    std::lock_guard lock(f.mu);
    CHECK(std::count(f.answered.begin(), f.answered.end(), "once please") == 1);
}

TEST_CASE("a retry after commit gets the stored reply without running the responder again",
          "[unit][pipeline]") {
    Fixture f;
    f.release.set_value();  // nothing blocks in this test
    auto first = f.pipeline->Handle(Text("m-r", "retry me"));
    auto again = f.pipeline->Handle(Text("m-r", "retry me"));
    REQUIRE(first.ok());
    REQUIRE(again.ok());
    CHECK(again.value().text == first.value().text);
    CHECK(Count(*f.db, "SELECT count(*) FROM effects") == 1);
    CHECK(f.commits == 1);  // the duplicate wrote nothing
}

TEST_CASE("inside a write transaction the thread reads its own writes — other threads do not",
          "[unit][pipeline][store]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("w.db"), wedesk::schema::All());
    {
        store::WriteTx schema(*db);
        schema.Conn().exec("CREATE TABLE t (x INTEGER)");
        schema.Commit();
    }
    store::WriteTx tx(*db);
    CHECK(&db->Conn() == &tx.Conn());  // Conn() lends the writer to the owning thread
    tx.Conn().exec("INSERT INTO t VALUES (1)");
    CHECK(db->Conn().execAndGet("SELECT count(*) FROM t").getInt() == 1);
    int seen_elsewhere = -1;
    std::thread([&] {
        seen_elsewhere = db->Conn().execAndGet("SELECT count(*) FROM t").getInt();
    }).join();
    CHECK(seen_elsewhere == 0);
    tx.Commit();
    std::thread([&] {
        seen_elsewhere = db->Conn().execAndGet("SELECT count(*) FROM t").getInt();
    }).join();
    CHECK(seen_elsewhere == 1);
}

namespace {

/// A pipeline whose responder answers "interim" with a FollowUp; the call behind it runs on an
/// external thread and concludes when `release` is set, delivering "final".
struct FollowUpRig {
    testing::TempDir dir;
    std::unique_ptr<store::Database> db =
        store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());
    testing::FakeClock clock;
    testing::FakeRandom random;
    Sealer sealer{Secret(std::string(32, 'k')), "inbound-log"};
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<bool> claimed;
    std::vector<std::thread> external;
    std::unique_ptr<app::MessagePipeline> pipeline;

    explicit FollowUpRig(std::chrono::milliseconds wait) {
        pipeline = std::make_unique<app::MessagePipeline>(
            *db,
            [this](const wecom::InboundMessage&) {
                bot::BotReply r;
                r.passive.kind = wecom::PassiveReply::Kind::kText;
                r.passive.text = "interim";
                r.follow_up = std::make_shared<FollowUp>();
                db->AfterCommit([this, fu = r.follow_up] {
                    released.wait();
                    const bool mine = fu->Claim();
                    claimed.set_value(mine);
                    if (mine) {
                        fu->Deliver({"final", false});
                    }
                });
                return r;
            },
            sealer, clock, random,
            [this](std::function<void()> job) { external.emplace_back(std::move(job)); }, wait);
    }
    ~FollowUpRig() {
        pipeline.reset();
        for (auto& t : external) {
            t.join();
        }
    }
};

}  // namespace

TEST_CASE("a follow-up that comes within the wait is the passive reply", "[unit][pipeline]") {
    FollowUpRig rig(std::chrono::minutes(5));  // the wait cannot end during the test
    rig.release.set_value();
    auto r = rig.pipeline->Handle(Text("m-1", "重置密码"));
    REQUIRE(r.ok());
    CHECK(r->text == "final");
    CHECK(rig.claimed.get_future().get());
    // The log keeps the interim text: a WeCom retry is answered from it.
    auto again = rig.pipeline->Handle(Text("m-1", "重置密码"));
    REQUIRE(again.ok());
    CHECK(again->text == "interim");
}

TEST_CASE("a follow-up that misses the wait leaves the interim reply and is told so",
          "[unit][pipeline]") {
    FollowUpRig rig(std::chrono::milliseconds(1));
    auto r = rig.pipeline->Handle(Text("m-1", "重置密码"));  // answered while the call hangs
    REQUIRE(r.ok());
    CHECK(r->text == "interim");
    rig.release.set_value();
    CHECK_FALSE(rig.claimed.get_future().get());  // the outcome step sends a message instead
}
