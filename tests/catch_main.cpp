// The one translation unit that holds Catch2's main(); every test executable links it.
// The process's own log starts at "warn" (WEDESK_TEST_LOG overrides it): info lines such as
// "applied migration" from every test database would bury a failure's report in CI's output.
// Tests that read the log set their own level (e.g. LogCapture in the reset e2e test).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

#include "wedesk/common/log.hpp"

int main(int argc, char* argv[]) {
    const char* level = std::getenv("WEDESK_TEST_LOG");
    wedesk::log::Setup(level != nullptr && *level != '\0' ? level : "warn", "text");
    return Catch::Session().run(argc, argv);
}
