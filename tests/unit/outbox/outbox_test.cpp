#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fakes/fake_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "wedesk/outbox/outbox.hpp"
#include "wedesk/outbox/outbox_worker.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/sql.hpp"
#include "wedesk/wecom/api_client.hpp"

using namespace wedesk;
using namespace wedesk::outbox;
using nlohmann::json;

namespace {

constexpr const char* kCorp = "ww5f3c9a1e7b2d4068";
constexpr const char* kSecret = "app-secret-value";
constexpr int kAgent = 1000002;

/// A WeCom emulator, a database file and a client; workers and outboxes are made per test so a
/// "restart" can build new ones on the same file.
struct Env {
    testing::TempDir dir;
    testing::FakeClock clock;
    testing::FakeRandom random;
    sim::ApiEmulator emu{kCorp, kSecret, kAgent};
    int port = emu.Start("127.0.0.1", 0);
    wecom::ApiClient api{emu.BaseUrl(), kCorp, Secret(kSecret), kAgent, clock, 2};
    std::unique_ptr<store::Database> db =
        store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());

    std::unique_ptr<OutboxWorker> Worker(WorkerOptions opts = {}) {
        return std::make_unique<OutboxWorker>(*db, api, clock, random, std::move(opts));
    }
};

void Commit(Env& env, const std::function<void(Outbox&)>& fn) {
    Outbox outbox(*env.db, env.clock);
    store::WriteTx tx(*env.db);
    fn(outbox);
    tx.Commit();
}

wedesk::Card TicketCard(const std::string& ticket) {
    wedesk::Card c;
    c.id = "inc-" + ticket;
    c.title = "新工单 " + ticket;
    c.buttons = {{"ticket_accept:" + ticket, "接单", true}};
    return c;
}

}  // namespace

TEST_CASE("outbox: a message enqueued in a rolled-back transaction is never sent", "[unit]") {
    Env env;
    Outbox outbox(*env.db, env.clock);
    {
        store::WriteTx tx(*env.db);
        outbox.SendText("zhangsan", "工单已创建");
        // no Commit: the step failed
    }
    auto worker = env.Worker();
    CHECK(worker->RunOnce().sent == 0);
    CHECK(env.emu.Received().empty());
    CHECK(outbox.Stats().pending == 0);
}

TEST_CASE("outbox: a committed message is delivered once", "[unit]") {
    Env env;
    Commit(env, [](Outbox& o) { o.SendText("ZhangSan", "工单 IT20261127-0001 已创建"); });
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.Stats().pending == 1);
    auto worker = env.Worker();
    CHECK(worker->RunOnce().sent == 1);
    CHECK(worker->RunOnce().sent == 0);
    const auto got = env.emu.Received();
    REQUIRE(got.size() == 1);
    CHECK(got[0].touser == "zhangsan");
    CHECK(got[0].body["text"]["content"] == "工单 IT20261127-0001 已创建");
    // A first send asks for a short duplicate check: see the next test.
    CHECK(got[0].body["enable_duplicate_check"] == 1);
    CHECK(got[0].body["duplicate_check_interval"] == 60);
    const auto s = outbox.Stats();
    CHECK(s.sent == 1);
    CHECK(s.pending == 0);
    const auto sent = outbox.List("sent");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].msgid == got[0].msgid);
}

TEST_CASE("outbox: a lost first attempt that reaches WeCom after the resend is dropped", "[unit]") {
    // After a crash, the resend (attempts > 0) can reach WeCom before the first attempt, which
    // was still on its way. Both carry the duplicate check, so whichever comes second is dropped.
    Env env;
    Commit(env, [](Outbox& o) { o.SendText("lisi", "工单 IT20261127-0001 报修人回复了。"); });
    CHECK(env.Worker()->RunOnce().sent == 1);
    auto r = env.api.SendRaw(env.emu.Received().at(0).body);  // the same request again
    REQUIRE(r.ok());
    CHECK(env.emu.DuplicatesDropped() == 1);
    CHECK(env.emu.Received().size() == 1);
}

TEST_CASE("outbox: errcode -1 backs off and delivers exactly once after recovery", "[unit]") {
    Env env;
    env.emu.FailNext(3, -1);
    Commit(env, [](Outbox& o) { o.SendMarkdown("zhangsan", "**工单** 已解决"); });
    auto worker = env.Worker();
    auto first = worker->RunOnce();
    CHECK(first.failed == 1);
    REQUIRE(first.next_due);
    CHECK(*first.next_due > env.clock.NowSeconds());
    // Not due yet: no new attempt without time passing.
    CHECK(worker->RunOnce().failed == 0);
    CHECK(env.emu.SendAttempts() == 1);

    for (int i = 0; i < 10 && env.emu.Received().empty(); ++i) {
        env.clock.Advance(std::chrono::seconds(600));
        (void)worker->RunOnce();
    }
    env.clock.Advance(std::chrono::seconds(600));
    CHECK(worker->RunOnce().sent == 0);
    const auto got = env.emu.Received();
    REQUIRE(got.size() == 1);
    CHECK(got[0].body["enable_duplicate_check"] == 1);  // a resend
    CHECK(env.emu.SendAttempts() == 4);
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.Stats().sent == 1);
}

TEST_CASE("outbox: after a restart an acknowledged message is not sent again", "[unit]") {
    testing::TempDir dir;
    testing::FakeClock clock;
    testing::FakeRandom random;
    sim::ApiEmulator emu{kCorp, kSecret, kAgent};
    REQUIRE(emu.Start("127.0.0.1", 0) > 0);
    wecom::ApiClient api{emu.BaseUrl(), kCorp, Secret(kSecret), kAgent, clock, 2};
    {
        auto db = store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());
        Outbox outbox(*db, clock);
        store::WriteTx tx(*db);
        outbox.SendText("zhangsan", "one");
        outbox.SendText("zhangsan", "two");
        tx.Commit();
        OutboxWorker worker(*db, api, clock, random);
        CHECK(worker.RunOnce().sent == 2);
    }
    {
        auto db = store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());
        OutboxWorker worker(*db, api, clock, random);
        CHECK(worker.RunOnce().sent == 0);
        Outbox outbox(*db, clock);
        CHECK(outbox.Stats().sent == 2);
    }
    CHECK(emu.Received().size() == 2);
}

TEST_CASE("outbox: a crash between send and ack resends with duplicate check, WeCom drops it",
          "[unit]") {
    Env env;
    Commit(env, [](Outbox& o) { o.SendText("zhangsan", "密码已重置，如非本人操作请联系IT"); });
    {
        WorkerOptions crash;
        crash.after_send_hook = [](std::int64_t) { return false; };
        auto worker = env.Worker(crash);
        CHECK(worker->RunOnce().sent == 0);
    }
    REQUIRE(env.emu.Received().size() == 1);
    Outbox outbox(*env.db, env.clock);
    auto pending = outbox.List("pending");
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].attempts == 1);

    env.clock.Advance(std::chrono::seconds(120));  // the restart took a while
    auto worker = env.Worker();
    CHECK(worker->RunOnce().sent == 1);
    CHECK(env.emu.Received().size() == 1);
    CHECK(env.emu.DuplicatesDropped() == 1);
    const auto sent = outbox.List("sent");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].msgid == env.emu.Received()[0].msgid);
}

TEST_CASE("outbox: the 31st message to one member in a minute waits for the window", "[unit]") {
    Env env;
    Commit(env, [](Outbox& o) {
        for (int i = 1; i <= 31; ++i) {
            o.SendText("zhangsan", "通知 " + std::to_string(i));
        }
        o.SendText("lisi", "不受影响");
    });
    auto worker = env.Worker();
    auto pass = worker->RunOnce();
    CHECK(pass.sent == 31);  // 30 to zhangsan, 1 to lisi
    REQUIRE(pass.next_due);
    CHECK(*pass.next_due == env.clock.NowSeconds() + 60);
    auto got = env.emu.Received();
    REQUIRE(got.size() == 31);
    CHECK(got.back().body["text"]["content"] == "不受影响");

    env.clock.Advance(std::chrono::seconds(59));
    CHECK(worker->RunOnce().sent == 0);
    env.clock.Advance(std::chrono::seconds(1));
    CHECK(worker->RunOnce().sent == 1);
    got = env.emu.Received();
    REQUIRE(got.size() == 32);
    CHECK(got.back().body["text"]["content"] == "通知 31");  // delayed, not dropped, in order
}

TEST_CASE("outbox: a permanent error parks the message, later ones still go", "[unit]") {
    Env env;
    env.emu.AddInvalidUser("ghost");
    Commit(env, [](Outbox& o) {
        o.SendText("ghost", "nobody");
        o.SendText("zhangsan", "somebody");
    });
    auto worker = env.Worker();
    auto pass = worker->RunOnce();
    CHECK(pass.parked == 1);
    CHECK(pass.sent == 1);
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.Stats().parked == 1);
    const auto parked = outbox.List("parked");
    REQUIRE(parked.size() == 1);
    CHECK(parked[0].userid == "ghost");
    CHECK(parked[0].last_error.find("wecom_81013") != std::string::npos);
    env.clock.Advance(std::chrono::hours(1));
    CHECK(worker->RunOnce().sent == 0);  // parked stays parked
}

TEST_CASE("outbox: too many retryable failures park — Retry un-parks", "[unit]") {
    Env env;
    env.emu.SetDown(true);
    Commit(env, [](Outbox& o) { o.SendText("zhangsan", "eventually"); });
    WorkerOptions opts;
    opts.max_attempts = 3;
    auto worker = env.Worker(opts);
    int parked = 0;
    for (int i = 0; i < 5; ++i) {
        parked += worker->RunOnce().parked;
        env.clock.Advance(std::chrono::seconds(600));
    }
    CHECK(parked == 1);
    CHECK(env.emu.SendAttempts() == 0);  // 503 before any handler
    Outbox outbox(*env.db, env.clock);
    auto rows = outbox.List("parked");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].attempts == 3);
    CHECK(rows[0].last_error.find("http_503") != std::string::npos);

    env.emu.SetDown(false);
    REQUIRE(outbox.Retry(rows[0].id).ok());
    CHECK(outbox.Stats().pending == 1);
    CHECK(worker->RunOnce().sent == 1);
    REQUIRE(env.emu.Received().size() == 1);

    auto again = outbox.Retry(rows[0].id);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == wedesk::Errc::kNotParked);
    auto missing = outbox.Retry(9999);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == wedesk::Errc::kNotFound);
}

TEST_CASE("outbox: a card keeps its response_code and a queued update uses it once", "[unit]") {
    Env env;
    Commit(env, [](Outbox& o) {
        o.SendCard("lisi", TicketCard("IT20261127-0001"));
        o.UpdateCard("lisi", "inc-IT20261127-0001", "已接单");
    });
    auto worker = env.Worker();
    CHECK(worker->RunOnce().sent == 2);
    const auto cards = env.emu.Received();
    REQUIRE(cards.size() == 1);
    const auto updates = env.emu.Updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].body["response_code"] == cards[0].response_code);
    CHECK(updates[0].body["userids"] == json::array({"lisi"}));
    CHECK(updates[0].body["button"]["replace_name"] == "已接单");
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.ResponseCode("inc-IT20261127-0001", "lisi").empty());  // spent

    // A second update without a fresh code has nothing to use: parked, not sent.
    Commit(env, [](Outbox& o) { o.UpdateCard("lisi", "inc-IT20261127-0001", "已完成"); });
    CHECK(worker->RunOnce().parked == 1);
    CHECK(env.emu.Updates().size() == 1);
}

TEST_CASE("outbox: a retired card is greyed out for whoever got it, while WeCom still can",
          "[unit]") {
    Env env;
    auto worker = env.Worker();
    // Queued and retired before it went out: the update follows the card.
    Commit(env, [](Outbox& o) {
        o.SendCard("lisi", TicketCard("IT20261127-0001"));
        o.RetireCard("inc-IT20261127-0001", "已转派");
    });
    CHECK(worker->RunOnce().sent == 2);
    REQUIRE(env.emu.Updates().size() == 1);
    CHECK(env.emu.Updates()[0].body["userids"] == json::array({"lisi"}));
    CHECK(env.emu.Updates()[0].body["button"]["replace_name"] == "已转派");
    CHECK(env.emu.Updates()[0].body["response_code"] == env.emu.Received()[0].response_code);

    // Spent code, unknown card, or a card older than the code's 72 h: nothing is queued.
    Commit(env, [](Outbox& o) {
        o.RetireCard("inc-IT20261127-0001", "已取消");
        o.RetireCard("no-such-card", "已取消");
        o.SendCard("wangwu", TicketCard("IT20261127-0002"));
    });
    CHECK(worker->RunOnce().sent == 1);
    env.clock.Advance(std::chrono::hours(72));
    Commit(env, [](Outbox& o) { o.RetireCard("inc-IT20261127-0002", "已转派"); });
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.Stats().pending == 0);
    CHECK(worker->RunOnce().sent == 0);
    CHECK(env.emu.Updates().size() == 1);
}

TEST_CASE("outbox: a card without an id is stored parked", "[unit]") {
    Env env;
    Commit(env, [](Outbox& o) {
        wedesk::Card c = TicketCard("IT20261127-0009");
        c.id.clear();
        o.SendCard("lisi", c);
    });
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.Stats().parked == 1);
    CHECK(env.Worker()->RunOnce().sent == 0);
}

TEST_CASE("outbox: the background worker delivers after a kick and stops cleanly", "[unit]") {
    Env env;
    auto worker = env.Worker();
    Outbox outbox(*env.db, env.clock);
    worker->Start();
    {
        store::WriteTx tx(*env.db);
        outbox.SendText("zhangsan", "from the background");
        tx.Commit();
    }
    worker->Kick();
    CHECK(env.emu.WaitForMessages(1, std::chrono::seconds(20)));
    worker->Stop();
    worker->Stop();  // idempotent
    CHECK(env.emu.Received().size() == 1);
}

TEST_CASE("outbox: when WeCom is unreachable a pass stops at the first failure", "[unit]") {
    Env env;
    env.emu.SetDown(true);
    Commit(env, [](Outbox& o) {
        o.SendText("a", "1");
        o.SendText("b", "2");
        o.SendText("c", "3");
    });
    auto worker = env.Worker();
    auto pass = worker->RunOnce();
    CHECK(pass.failed == 1);
    REQUIRE(pass.next_due);
    env.emu.SetDown(false);
    env.clock.Advance(std::chrono::seconds(600));
    CHECK(worker->RunOnce().sent == 3);
    CHECK(env.emu.Received().size() == 3);
}

TEST_CASE("outbox: a member with 600 paced messages does not hold up anyone else", "[unit]") {
    Env env;
    Commit(env, [](Outbox& o) {
        for (int i = 1; i <= 600; ++i) {
            o.SendCard("zhangsan", TicketCard("IT20261127-" + std::to_string(1000 + i)));
        }
        o.SendText("lisi", "您的工单已受理");
    });
    auto worker = env.Worker();
    const auto t0 = env.clock.NowSeconds();
    auto pass = worker->RunOnce();
    CHECK(pass.sent == 31);  // 30 cards to zhangsan, and lisi's message behind all 600
    REQUIRE(pass.next_due);
    CHECK(*pass.next_due == t0 + 60);
    auto got = env.emu.Received();
    REQUIRE(got.size() == 31);
    CHECK(got.back().touser == "lisi");
    CHECK(got[29].body["template_card"]["task_id"] == "inc-IT20261127-1030");

    // Later messages to others go at once while zhangsan's queue is still paced.
    env.clock.Advance(std::chrono::seconds(10));
    Commit(env, [](Outbox& o) {
        o.SendText("wangwu", "工单已派给您");
        o.SendText("zhangsan", "排在第 601 位");
    });
    CHECK(worker->RunOnce().sent == 1);
    got = env.emu.Received();
    REQUIRE(got.size() == 32);
    CHECK(got.back().touser == "wangwu");
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.Stats().pending == 571);
}

TEST_CASE("outbox: with more users than `batch`, passes take turns over them", "[unit]") {
    Env env;
    Commit(env, [](Outbox& o) {
        for (int i = 1; i <= 5; ++i) {
            o.SendText("a-flooded", "a " + std::to_string(i));
            o.SendText("b-flooded", "b " + std::to_string(i));
        }
        o.SendText("c", "c");
        o.SendText("d", "d");
        o.SendText("e", "e");
    });
    WorkerOptions opts;
    opts.batch = 2;
    opts.per_minute = 1;
    auto worker = env.Worker(opts);
    auto first = worker->RunOnce();
    CHECK(first.sent == 2);  // a 1 and b 1; then both are paced
    REQUIRE(first.next_due);
    CHECK(*first.next_due == env.clock.NowSeconds());  // more users to look at: due now
    int sent = 0;
    for (int i = 0; i < 4; ++i) {
        sent += worker->RunOnce().sent;  // no time passes: only the turn moves on
    }
    CHECK(sent == 3);
    std::vector<std::string> users;
    for (const auto& m : env.emu.Received()) {
        users.push_back(m.touser);
    }
    CHECK(users == std::vector<std::string>{"a-flooded", "b-flooded", "c", "d", "e"});
}

TEST_CASE("outbox: pacing stays exact with remembered release times", "[unit]") {
    Env env;
    WorkerOptions opts;
    opts.per_hour = 50;
    auto worker = env.Worker(opts);
    const auto t0 = env.clock.NowSeconds();
    auto enqueue = [&](int from, int to) {
        Commit(env, [&](Outbox& o) {
            for (int i = from; i <= to; ++i) {
                o.SendText("zhangsan", "通知 " + std::to_string(i));
            }
        });
    };

    SECTION("sliding minute and hour windows") {
        enqueue(1, 100);
        auto pass = worker->RunOnce();
        CHECK(pass.sent == 30);
        REQUIRE(pass.next_due);
        CHECK(*pass.next_due == t0 + 60);
        env.clock.Advance(std::chrono::seconds(30));
        pass = worker->RunOnce();
        CHECK(pass.sent == 0);
        REQUIRE(pass.next_due);
        CHECK(*pass.next_due == t0 + 60);
        // A restarted worker knows nothing in memory: the window comes from the database.
        CHECK(env.Worker(opts)->RunOnce().sent == 0);
        env.clock.Advance(std::chrono::seconds(29));
        CHECK(worker->RunOnce().sent == 0);
        env.clock.Advance(std::chrono::seconds(1));  // t0 + 60: the release passed
        pass = worker->RunOnce();
        CHECK(pass.sent == 20);  // 50 per hour
        REQUIRE(pass.next_due);
        CHECK(*pass.next_due == t0 + 3600);
        env.clock.Set(t0 + 3599);
        CHECK(worker->RunOnce().sent == 0);
        env.clock.Set(t0 + 3600);  // the first 30 leave the hour
        pass = worker->RunOnce();
        CHECK(pass.sent == 30);
        REQUIRE(pass.next_due);
        CHECK(*pass.next_due == t0 + 3660);
        const auto got = env.emu.Received();
        REQUIRE(got.size() == 80);
        for (std::size_t i = 0; i < got.size(); ++i) {
            CHECK(got[i].body["text"]["content"] == "通知 " + std::to_string(i + 1));
        }
    }

    SECTION("the window slides with the sends, not in fixed minutes") {
        enqueue(1, 10);
        CHECK(worker->RunOnce().sent == 10);
        env.clock.Advance(std::chrono::seconds(30));
        enqueue(11, 60);
        auto pass = worker->RunOnce();
        CHECK(pass.sent == 20);
        REQUIRE(pass.next_due);
        CHECK(*pass.next_due == t0 + 60);
        env.clock.Set(t0 + 60);  // the 10 sent at t0 leave the minute
        pass = worker->RunOnce();
        CHECK(pass.sent == 10);
        REQUIRE(pass.next_due);
        CHECK(*pass.next_due == t0 + 90);
        env.clock.Set(t0 + 89);
        CHECK(worker->RunOnce().sent == 0);
        env.clock.Set(t0 + 90);
        CHECK(worker->RunOnce().sent == 10);  // 40 in this hour so far: 10 more make 50
        CHECK(env.emu.Received().size() == 50);
    }
}

TEST_CASE("outbox: any number of kicks during a pass cause one more pass", "[unit]") {
    Env env;
    WorkerOptions opts;
    opts.poll = std::chrono::hours(1);  // only kicks start passes here
    auto worker = env.Worker(opts);
    Commit(env, [](Outbox& o) { o.SendText("zhangsan", "first"); });
    env.emu.SetOnMessage([&](const sim::ReceivedMessage& m) {
        if (m.touser != "zhangsan") {
            return;
        }
        // The worker is waiting for this answer: its first pass is running.
        Commit(env, [](Outbox& o) { o.SendText("lisi", "second"); });
        for (int i = 0; i < 1000; ++i) {
            worker->Kick();
        }
    });
    worker->Start();  // the first pass runs at once
    REQUIRE(env.emu.WaitForMessages(2, std::chrono::seconds(20)));
    worker->Stop();
    env.emu.SetOnMessage(nullptr);
    CHECK(worker->Passes() == 2);
    CHECK(env.emu.Received().back().touser == "lisi");
}

TEST_CASE("outbox: kicks right after a pass wait for min_pass_interval, RunOnce does not",
          "[unit]") {
    Env env;
    WorkerOptions opts;
    opts.poll = std::chrono::hours(1);
    opts.min_pass_interval = std::chrono::hours(1);
    auto worker = env.Worker(opts);
    Commit(env, [](Outbox& o) { o.SendText("zhangsan", "first"); });
    worker->Start();  // idle so far: the first pass runs at once
    REQUIRE(env.emu.WaitForMessages(1, std::chrono::seconds(20)));
    Commit(env, [](Outbox& o) { o.SendText("lisi", "second"); });
    for (int i = 0; i < 1000; ++i) {
        worker->Kick();
    }
    worker->Stop();  // not held up by the interval either
    CHECK(worker->Passes() == 1);
    CHECK(env.emu.Received().size() == 1);
    CHECK(worker->RunOnce().sent == 1);
    CHECK(env.emu.Received().back().touser == "lisi");
}

TEST_CASE("outbox: a secret text is stored sealed, sent in clear to WeCom, then erased", "[unit]") {
    Env env;
    const Sealer sealer(Secret(std::string(32, 's')), "outbox-secret");
    const std::string secret = "临时密码：Xy7-Temp-4821";
    {
        Outbox outbox(*env.db, env.clock, &sealer, &env.random);
        store::WriteTx tx(*env.db);
        outbox.SendSecretText("lisi", secret);
        tx.Commit();
    }
    auto stored = [&] {
        wedesk::store::Query q(env.db->Conn(), "SELECT body, sealed FROM outbox");
        REQUIRE(q.executeStep());
        const auto col = q.getColumn(0);
        return std::make_pair(std::string(static_cast<const char*>(col.getBlob()),
                                          static_cast<std::size_t>(col.getBytes())),
                              q.getColumn(1).getInt());
    };
    auto [body, sealed] = stored();
    CHECK(sealed == 1);
    CHECK(body.find("Xy7-Temp-4821") == std::string::npos);
    Outbox viewer(*env.db, env.clock);
    CHECK(viewer.List("pending").at(0).body == "(sealed)");

    SECTION("a worker without the key parks it, sending nothing") {
        auto worker = env.Worker();
        CHECK(worker->RunOnce().parked == 1);
        CHECK(env.emu.Received().empty());
    }
    SECTION("the worker with the key sends the text and erases the stored copy") {
        WorkerOptions opts;
        opts.sealer = &sealer;
        auto worker = env.Worker(opts);
        CHECK(worker->RunOnce().sent == 1);
        const auto got = env.emu.Received();
        REQUIRE(got.size() == 1);
        CHECK(got[0].body["text"]["content"] == secret);
        CHECK(stored().first.empty());
    }
    SECTION("without a sealer the outbox refuses to store a secret") {
        Outbox plain(*env.db, env.clock);
        store::WriteTx tx(*env.db);
        CHECK_THROWS_AS(plain.SendSecretText("lisi", secret), std::logic_error);
    }
}

TEST_CASE("outbox: a configuration error (60020) pauses sending — nothing parked — until fixed",
          "[unit][security]") {
    Env env;
    env.emu.FailNext(1000, 60020);  // the server's IP is not a trusted IP, for every request
    Commit(env, [](Outbox& o) {
        for (int i = 0; i < 5; ++i) {
            o.SendText("user" + std::to_string(i), "工单已受理");
        }
    });
    WorkerOptions opts;
    opts.max_attempts = 3;
    auto worker = env.Worker(opts);
    auto first = worker->RunOnce();
    CHECK(first.parked == 0);
    CHECK(env.emu.SendAttempts() == 1);  // one probe, not one failure per message
    CHECK_THAT(worker->PausedReason(), Catch::Contains("60020"));
    // Paused for hours: still nothing parked, one probe per config_retry.
    for (int i = 0; i < 10; ++i) {
        env.clock.Advance(opts.config_retry);
        CHECK(worker->RunOnce().parked == 0);
    }
    CHECK(env.emu.SendAttempts() == 11);
    Outbox outbox(*env.db, env.clock);
    CHECK(outbox.Stats().parked == 0);
    CHECK(outbox.Stats().pending == 5);
    // Fixed by IT: the next probe succeeds and everything goes.
    env.emu.FailNext(0, 0);
    env.clock.Advance(opts.config_retry);
    for (int i = 0; i < 5 && outbox.Stats().pending > 0; ++i) {
        (void)worker->RunOnce();
    }
    CHECK(outbox.Stats().sent == 5);
    CHECK(worker->PausedReason().empty());
}

TEST_CASE("outbox: retry --parked queues every parked message again", "[unit]") {
    Env env;
    env.emu.FailNext(2, 40058);  // a permanent, per-message error
    Commit(env, [](Outbox& o) {
        o.SendText("a", "one");
        o.SendText("b", "two");
    });
    auto worker = env.Worker();
    (void)worker->RunOnce();
    Outbox outbox(*env.db, env.clock);
    REQUIRE(outbox.Stats().parked == 2);
    CHECK(outbox.RetryParked() == 2);
    CHECK(worker->RunOnce().sent == 2);
    CHECK(outbox.RetryParked() == 0);
}

TEST_CASE("outbox: a stored file is uploaded with media/upload and sent with the new media_id",
          "[unit]") {
    Env env;
    const auto path = env.dir.File("安装日志.txt");
    {
        std::ofstream f(path, std::ios::binary);
        f << "setup failed: 0x80070005\n";
    }
    Commit(env, [&](Outbox& o) {
        o.SendFile("lisi", {"file", path, "安装日志.txt", "text/plain"});
        o.SendFile("lisi", {"image", env.dir.File("gone.png"), "gone.png", "image/png"});
    });
    auto worker = env.Worker();
    const auto pass = worker->RunOnce();
    CHECK(pass.sent == 1);
    CHECK(pass.parked == 1);  // its file is gone: nothing to retry
    const auto got = env.emu.Received();
    REQUIRE(got.size() == 1);
    CHECK(got[0].msgtype == "file");
    CHECK_FALSE(got[0].body.contains(kUploadField));
    const auto media = env.emu.MediaOf(got[0].body["file"]["media_id"].get<std::string>());
    REQUIRE(media.has_value());
    CHECK(media->bytes == "setup failed: 0x80070005\n");
    CHECK(media->file_name == "安装日志.txt");
    CHECK(media->type == "file");
    CHECK(got[0].media_name == "安装日志.txt");
    CHECK(sim::DescribeMessage("file", got[0].body, got[0].media_name) == "[file] 安装日志.txt");
    Outbox outbox(*env.db, env.clock);
    const auto parked = outbox.List("parked");
    REQUIRE(parked.size() == 1);
    CHECK_THAT(parked[0].last_error, Catch::Contains("the file to send is gone"));
}
