// ApiClient::CreateMenu against the emulator's menu/create (access_token and agentid in the
// query, the menu JSON in the body).
#include <catch2/catch.hpp>

#include "fakes/fake_clock.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/wecom/api_client.hpp"

using namespace wedesk;
using namespace wedesk::wecom;
using nlohmann::json;
using wedesk::sim::ApiEmulator;

namespace {

constexpr const char* kCorp = "ww5f3c9a1e7b2d4068";
constexpr const char* kSecret = "app-secret-value";
constexpr int kAgent = 1000002;

json Menu() {
    return {{"button",
             json::array({{{"type", "click"}, {"name", "报修"}, {"key", "MENU_NEW_TICKET"}},
                          {{"type", "click"}, {"name", "我的工单"}, {"key", "MENU_MY_TICKETS"}}})}};
}

}  // namespace

TEST_CASE("CreateMenu posts the menu with token and agentid", "[unit]") {
    ApiEmulator emu(kCorp, kSecret, kAgent);
    REQUIRE(emu.Start("127.0.0.1", 0) > 0);
    testing::FakeClock clock;
    ApiClient api(emu.BaseUrl(), kCorp, Secret(kSecret), kAgent, clock, 2);
    CHECK(emu.Menu().is_null());
    auto r = api.CreateMenu(Menu());
    REQUIRE(r.ok());
    CHECK(emu.Menu() == Menu());

    SECTION("a token WeCom dropped is refreshed once") {
        emu.ExpireToken();
        json changed = Menu();
        changed["button"].erase(1);
        REQUIRE(api.CreateMenu(changed).ok());
        CHECK(emu.Menu() == changed);
        CHECK(api.gettoken_calls() == 2);
    }
}

TEST_CASE("CreateMenu failures are permanent errors", "[unit]") {
    ApiEmulator emu(kCorp, kSecret, kAgent);
    REQUIRE(emu.Start("127.0.0.1", 0) > 0);
    testing::FakeClock clock;

    ApiClient wrong_agent(emu.BaseUrl(), kCorp, Secret(kSecret), 7, clock, 2);
    auto r = wrong_agent.CreateMenu(Menu());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().CodeText() == "wecom_40056");
    CHECK_FALSE(IsRetryable(r.error()));

    ApiClient api(emu.BaseUrl(), kCorp, Secret(kSecret), kAgent, clock, 2);
    r = api.CreateMenu({{"button", json::array()}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().CodeText() == "wecom_40058");
    r = api.CreateMenu(json::array());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == wedesk::Errc::kBadRequest);
    CHECK(emu.Menu().is_null());
}
