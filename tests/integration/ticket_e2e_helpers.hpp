#pragma once
/// Helpers for the end-to-end ticket and dispatch tests: a tickets config with groups, the
/// people of the scenario, chat one-liners over the real encrypted callback, waiting for what
/// the emulated WeCom API received, and reading the database file.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server_helpers.hpp"
#include "wedesk/sim/wecom_client.hpp"
#include "wedesk/sim/api_emulator.hpp"

namespace wedesk::testing::e2e {

/// Categories 1 电脑 (pc), 2 网络 (network), 3 打印机 (printer), 4 其他 (other); groups desktop
/// (pc, printer, other) and network (network); `accept_timeout_min` as given.
nlohmann::json TicketsPatch(int accept_timeout_min = 15);

/// Employees zhangsan, lisi; engineers eng1 (王工), eng2 (赵工) in desktop; neteng (钱工) in
/// network; lead1 (孙组长) leads desktop and network. Nobody is on duty after an import.
extern const char* const kPeopleCsv;

/// Sends `text` as `user`; the decrypted passive reply text (fails the test when the request
/// fails or is not answered 200).
std::string Say(sim::SimClient& client, const std::string& user, const std::string& text);
std::string Say(TestServer& s, const std::string& user, const std::string& text);

/// The first ticket number (IT + 8 digits + '-' + 4 digits) in `text`, "" when none.
std::string TicketNoIn(const std::string& text);

/// Files a ticket through the whole 报修 flow; returns its number (fails the test otherwise).
std::string CreateTicket(sim::SimClient& client, const std::string& user, int category,
                         const std::string& description, int urgency = 1);
std::string CreateTicket(TestServer& s, const std::string& user, int category,
                         const std::string& description, int urgency = 1);

/// Waits until the emulator has accepted a message/send matching `pred` (already received or
/// arriving within `timeout`); the first match.
std::optional<sim::ReceivedMessage> WaitForMessage(
    const sim::ApiEmulator& api, const std::function<bool(const sim::ReceivedMessage&)>& pred,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Messages to `user` matching `pred` accepted so far.
std::vector<sim::ReceivedMessage> MessagesTo(
    const sim::ApiEmulator& api, const std::string& user,
    const std::function<bool(const sim::ReceivedMessage&)>& pred = nullptr);

/// Text content of a text message ("" for other types).
std::string TextOf(const sim::ReceivedMessage& m);
/// A template card to `user` whose button keys include `key`.
bool IsCardWithKey(const sim::ReceivedMessage& m, const std::string& user,
                   const std::string& key);
/// A text message to `user` containing `needle`.
bool IsTextTo(const sim::ReceivedMessage& m, const std::string& user, const std::string& needle);
/// Button keys of a template card.
std::vector<std::string> ButtonKeys(const sim::ReceivedMessage& m);
/// task_id of a template card.
std::string TaskId(const sim::ReceivedMessage& m);

/// One text value from the database file (first column of the first row; "" when no row).
std::string Scalar(const TestServer& s, const std::string& sql);

}  // namespace wedesk::testing::e2e
