// `wedesk admin ...`: operator commands on the database the server uses.
#include "app/commands.hpp"

namespace wedesk::app {

void AddAdminCommands(CLI::App& cli, CliContext& ctx) {
    auto* admin = cli.add_subcommand("admin", "administration: users, tickets, kb, stats, db");
    admin->fallthrough();
    admin->require_subcommand(1);
    (void)ctx;
}

}  // namespace wedesk::app
