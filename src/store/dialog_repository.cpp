#include "wedesk/store/dialog_repository.hpp"

#include "wedesk/store/database.hpp"

namespace wedesk::store {

std::optional<DialogState> DialogRepository::Load(const std::string& userid) {
    store::Query q(db_.Conn(), "SELECT flow, step, data, updated_at FROM dialogs WHERE userid = ?");
    q.bind(1, userid);
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return DialogState{q.getColumn(0).getString(), q.getColumn(1).getString(),
                       q.getColumn(2).getString(), q.getColumn(3).getInt64()};
}

void DialogRepository::Save(const std::string& userid, const DialogState& state) {
    store::StepTx write(db_);
    store::Query q(write.Conn(),
                   "INSERT INTO dialogs (userid, flow, step, data, updated_at) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT(userid) DO UPDATE SET "
                   "flow = excluded.flow, step = excluded.step, data = excluded.data, "
                   "updated_at = excluded.updated_at");
    q.bind(1, userid);
    q.bind(2, state.flow);
    q.bind(3, state.step);
    q.bind(4, state.data);
    q.bind(5, state.updated_at);
    q.exec();
    write.Commit();
}

void DialogRepository::Clear(const std::string& userid) {
    store::StepTx write(db_);
    store::Query q(write.Conn(), "DELETE FROM dialogs WHERE userid = ?");
    q.bind(1, userid);
    q.exec();
    write.Commit();
}

}  // namespace wedesk::store
