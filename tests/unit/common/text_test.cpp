#include <catch2/catch.hpp>

#include "wedesk/common/random.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/common/text.hpp"

using namespace wedesk;

TEST_CASE("full-width digits and punctuation fold to ASCII", "[unit]") {
    CHECK(text::FoldFullWidth("评价 IT２０２６１１２７－０００１ ５") == "评价 IT20261127-0001 5");
    CHECK(text::FoldFullWidth("ｒｅｓｅｔ　ｐａｓｓｗｏｒｄ") == "reset password");
    CHECK(text::NormalizeCommand("  ＨＥＬＰ\xE3\x80\x80") == "help");
}

TEST_CASE("trim removes ASCII and ideographic spaces only at the ends", "[unit]") {
    CHECK(text::Trim("\xE3\x80\x80 报修 \n") == "报修");
    CHECK(text::Trim("") == "");
    CHECK(text::Trim("   ") == "");
    CHECK(text::Trim("a b") == "a b");
}

TEST_CASE("UTF-8 validation and truncation at character boundaries", "[unit]") {
    CHECK(text::IsValidUtf8("打印机 ok"));
    CHECK_FALSE(text::IsValidUtf8("\xC0\xAF"));      // overlong '/'
    CHECK_FALSE(text::IsValidUtf8("\xED\xA0\x80"));  // surrogate
    CHECK_FALSE(text::IsValidUtf8("\xE6\x89"));      // cut character
    CHECK(text::TruncateUtf8("打印机", 4) == "打");
    CHECK(text::TruncateUtf8("打印机", 9) == "打印机");
    CHECK(text::Utf8Length("打印ab") == 4);
}

TEST_CASE("random digits and alnum have the requested shape", "[unit]") {
    OpenSslRandom rng;
    const auto code = rng.Digits(6);
    REQUIRE(code.size() == 6);
    for (char c : code) {
        CHECK((c >= '0' && c <= '9'));
    }
    const auto token = rng.Alnum(32);
    CHECK(token.size() == 32);
    CHECK(rng.Alnum(32) != token);
}

TEST_CASE("secrets format as stars and compare in constant time", "[unit]") {
    Secret s("hunter2");
    CHECK(fmt::format("key={}", s) == "key=***");
    CHECK(ConstantTimeEquals("abc", "abc"));
    CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
    CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
}

#include "fakes/fake_clock.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/seal.hpp"

TEST_CASE("sealed values open only with the same key and unaltered", "[unit]") {
    testing::FakeRandom rng;
    Sealer a(Secret("server-secret"), "reply");
    Sealer b(Secret("server-secret"), "other-purpose");
    const auto blob = a.Seal("https://desk/reset/tok123", rng);
    CHECK(blob.find("tok123") == std::string::npos);
    auto opened = a.Open(blob);
    REQUIRE(opened.ok());
    CHECK(*opened == "https://desk/reset/tok123");
    CHECK_FALSE(b.Open(blob).ok());
    auto tampered = blob;
    tampered[14] = static_cast<char>(tampered[14] ^ 1);
    CHECK(a.Open(tampered).error().code == wedesk::Errc::kSealed);
    CHECK_FALSE(a.Open("short").ok());
}

TEST_CASE("HMAC-SHA256 matches RFC 4231 test case 2", "[unit]") {
    CHECK(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("metrics render in Prometheus text format", "[unit]") {
    metrics::Registry r;
    r.GetCounter("wedesk_callbacks_total", "Callbacks", {{"outcome", "ok"}}).Inc(3);
    r.GetCounter("wedesk_callbacks_total", "Callbacks", {{"outcome", "bad_signature"}}).Inc();
    auto& h = r.GetHistogram("wedesk_callback_seconds", "Latency", {0.01, 0.1});
    h.Observe(0.005);
    h.Observe(0.05);
    h.Observe(1.0);
    r.AddGaugeCallback("wedesk_outbox_pending", "Pending", [] {
        return std::vector<std::pair<metrics::Labels, double>>{{{}, 7}};
    });
    const auto text = r.RenderPrometheus();
    CHECK_THAT(text, Catch::Contains("wedesk_callbacks_total{outcome=\"ok\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("wedesk_callbacks_total{outcome=\"bad_signature\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("wedesk_callback_seconds_bucket{le=\"0.01\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("wedesk_callback_seconds_bucket{le=\"0.1\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("wedesk_callback_seconds_bucket{le=\"+Inf\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("wedesk_callback_seconds_count 3\n"));
    CHECK_THAT(text,
               Catch::Contains("# TYPE wedesk_outbox_pending gauge\nwedesk_outbox_pending 7\n"));
}

TEST_CASE("a removed gauge is no longer rendered or called", "[unit]") {
    metrics::Registry r;
    int calls = 0;
    r.AddGaugeCallback("wedesk_x", "X", [&calls] {
        ++calls;
        return std::vector<std::pair<metrics::Labels, double>>{{{}, 1}};
    });
    CHECK_THAT(r.RenderPrometheus(), Catch::Contains("wedesk_x 1"));
    r.RemoveGauge("wedesk_x");
    CHECK(r.RenderPrometheus().find("wedesk_x") == std::string::npos);
    CHECK(calls == 1);
}

TEST_CASE("TrimSuffixes drops trailing marks repeatedly, never down to nothing", "[unit]") {
    using wedesk::text::TrimSuffixes;
    constexpr std::string_view marks[] = {"。", "!", "?", "啊"};
    CHECK(TrimSuffixes("好的啊!!。", marks) == "好的");
    CHECK(TrimSuffixes("?", marks) == "?");
    CHECK(TrimSuffixes("???", marks) == "?");
    CHECK(TrimSuffixes("在吗", marks) == "在吗");
    CHECK(TrimSuffixes("", marks).empty());
}

TEST_CASE("ContainsAny finds any of the words, never an empty one", "[unit]") {
    using wedesk::text::ContainsAny;
    CHECK(ContainsAny("打印机坏了", {"坏", "慢"}));
    CHECK_FALSE(ContainsAny("打印机坏了", {"慢", "卡"}));
    CHECK_FALSE(ContainsAny("abc", {""}));
    constexpr std::string_view words[] = {"vpn", "wifi"};
    CHECK(ContainsAny("家里vpn连不上", words));
}
