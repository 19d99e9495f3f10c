#pragma once
// Private to app/: the subcommands of the `wedesk` CLI, one file each:
//   cmd_serve.cpp (serve), cmd_admin.cpp (admin ...), cmd_directory.cpp (admin directory ...),
//   cmd_sim.cpp (sim ...).

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "wedesk/config/config.hpp"

namespace wedesk::app {

struct CliContext {
    std::string config_path = "config/wedesk.jsonc";
    int exit_code = 0;
};

/// Loads the config or prints the error (naming the key) and returns nullopt.
std::optional<config::Config> LoadConfigOrReport(const CliContext& ctx);

void AddServeCommand(CLI::App& cli, CliContext& ctx);
void AddAdminCommands(CLI::App& cli, CliContext& ctx);
/// `admin directory ...` (cmd_directory.cpp): accounts of the local demo directory.
void AddDirectoryAdminCommands(CLI::App& admin, CliContext& ctx);
void AddSimCommands(CLI::App& cli, CliContext& ctx);

}  // namespace wedesk::app
