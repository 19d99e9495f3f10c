#pragma once
/// DialogRepository: each person's conversation state (which flow, which step, the flow's own
/// data as JSON text), persisted so a conversation survives a restart mid-flow. Runs on the
/// calling thread's connection, so it joins the caller's WriteTx.

#include <cstdint>
#include <optional>
#include <string>

namespace wedesk::store {

class Database;

struct DialogState {
    std::string flow;  ///< "" when idle
    std::string step;
    std::string data = "{}";  ///< JSON owned by the flow
    std::int64_t updated_at = 0;
};

class DialogRepository final {
public:
    explicit DialogRepository(Database& db) : db_(db) {}
    std::optional<DialogState> Load(const std::string& userid);
    void Save(const std::string& userid, const DialogState& state);
    void Clear(const std::string& userid);

private:
    Database& db_;
};

}  // namespace wedesk::store
