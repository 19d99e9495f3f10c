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
