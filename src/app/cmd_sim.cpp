// `wedesk sim ...`: a local WeCom for people without a tenant (chat, send, api emulator).
#include "app/commands.hpp"

namespace wedesk::app {

void AddSimCommands(CLI::App& cli, CliContext& ctx) {
    auto* sim = cli.add_subcommand("sim", "local WeCom simulator: chat, send, api");
    sim->fallthrough();
    sim->require_subcommand(1);
    (void)ctx;
}

}  // namespace wedesk::app
