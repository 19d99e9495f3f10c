#include "wedesk/app/cli.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "app/commands.hpp"
#include "wedesk/bot/bot.hpp"

namespace wedesk::app {

int RunCli(int argc, char** argv) {
    CLI::App cli{"wedesk: the IT service desk inside WeCom (企业微信)"};
    cli.require_subcommand(1);
    cli.fallthrough();
    CliContext ctx;
    cli.add_option("--config", ctx.config_path, "config file, JSON with comments")
        ->capture_default_str();
    cli.set_version_flag("--version", std::string("wedesk ") + WEDESK_VERSION);

    AddServeCommand(cli, ctx);
    AddAdminCommands(cli, ctx);
    AddSimCommands(cli, ctx);
    // Set after the subcommands (they would inherit it): only `wedesk --help` shows it.
    // What people type in the WeCom chat: the same text the bot answers 帮助 with.
    cli.footer("\nChat commands (typed in the WeCom app; staff see the engineer line too):\n" +
               bot::HelpText(true));

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    } catch (const std::exception& e) {
        // An infrastructure failure (the database file unreadable, the disk full): the command's
        // own transaction was rolled back; say so instead of dying.
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return ctx.exit_code;
}

}  // namespace wedesk::app
