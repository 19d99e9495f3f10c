#include <catch2/catch.hpp>

#include "wedesk/sms/sms_sender.hpp"

using namespace wedesk::sms;

TEST_CASE("NormalizePhone accepts CN mobile forms", "[unit]") {
    for (const char* raw :
         {"13800000001", "+8613800000001", "+86 138-0000-0001", "008613800000001", "8613800000001",
          " 138 0000 0001 ", "+86 (138) 0000.0001", "１３８０００００００１"}) {
        INFO(raw);
        auto r = NormalizePhone(raw);
        REQUIRE(r.ok());
        CHECK(*r == "+8613800000001");
    }
}

TEST_CASE("NormalizePhone keeps other countries and refuses junk", "[unit]") {
    auto hk = NormalizePhone("+852 5123 4567");
    REQUIRE(hk.ok());
    CHECK(*hk == "+85251234567");
    auto us = NormalizePhone("001 415 555 0100");
    REQUIRE(us.ok());
    CHECK(*us == "+14155550100");
    for (const char* raw : {"", "abc", "12345", "23800000001", "+86123", "+8612800000001",
                            "1380000000a", "+0123456789", "+1234567890123456", "010-12345678"}) {
        INFO(raw);
        auto r = NormalizePhone(raw);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == wedesk::Errc::kInvalidPhone);
    }
}

TEST_CASE("MaskPhone shows the first three and last four digits", "[unit]") {
    CHECK(MaskPhone("+8613800000001") == "138****0001");
    CHECK(MaskPhone("+85251234567") == "+852****4567");
    CHECK(MaskPhone("123") == "****");
}
