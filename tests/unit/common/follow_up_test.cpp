#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "wedesk/common/follow_up.hpp"

using wedesk::FollowUp;

namespace {

struct Answers {
    int calls = 0;
    std::optional<FollowUp::Text> last;
    FollowUp::Answer Fn() {
        return [this](std::optional<FollowUp::Text> t) {
            ++calls;
            last = std::move(t);
        };
    }
};

}  // namespace

TEST_CASE("follow-up: an outcome delivered while armed is the answer", "[follow_up]") {
    FollowUp f;
    Answers a;
    f.Arm(a.Fn());
    REQUIRE(a.calls == 0);
    REQUIRE(f.Claim());
    f.Expire();  // the wait ends while the outcome step runs: it still owns the reply
    REQUIRE(a.calls == 0);
    f.Deliver({"验证码已发送", false});
    REQUIRE(a.calls == 1);
    REQUIRE(a.last);
    CHECK(a.last->text == "验证码已发送");
    f.Expire();
    f.Abandon();
    CHECK(a.calls == 1);
}

TEST_CASE("follow-up: once expired, the outcome step is told it is too late", "[follow_up]") {
    FollowUp f;
    Answers a;
    f.Arm(a.Fn());
    f.Expire();
    REQUIRE(a.calls == 1);
    CHECK_FALSE(a.last);
    CHECK_FALSE(f.Claim());
    f.Deliver({"late", false});  // not claimed: ignored
    CHECK(a.calls == 1);
}

TEST_CASE("follow-up: an outcome known before Arm is answered at Arm", "[follow_up]") {
    FollowUp f;
    REQUIRE(f.Claim());
    f.Deliver({"done", true});
    Answers a;
    f.Arm(a.Fn());
    REQUIRE(a.calls == 1);
    REQUIRE(a.last);
    CHECK(a.last->sensitive);
}

TEST_CASE("follow-up: an abandoned outcome leaves the interim reply", "[follow_up]") {
    FollowUp armed_first;
    Answers a;
    armed_first.Arm(a.Fn());
    REQUIRE(armed_first.Claim());
    armed_first.Abandon();
    CHECK(a.calls == 1);
    CHECK_FALSE(a.last);

    FollowUp abandoned_first;
    REQUIRE(abandoned_first.Claim());
    abandoned_first.Abandon();
    Answers b;
    abandoned_first.Arm(b.Fn());
    CHECK(b.calls == 1);
    CHECK_FALSE(b.last);
}

TEST_CASE("follow-up: a synchronous caller takes the delivered text once", "[follow_up]") {
    FollowUp f;
    CHECK_FALSE(f.TakeIfDelivered());
    REQUIRE(f.Claim());
    CHECK_FALSE(f.TakeIfDelivered());
    f.Deliver({"ok", false});
    auto t = f.TakeIfDelivered();
    REQUIRE(t);
    CHECK(t->text == "ok");
    CHECK_FALSE(f.TakeIfDelivered());
}
