#include "wedesk/app/cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace wedesk::app {

int RunCli(int argc, char** argv) {
    CLI::App cli{"wedesk: IT service desk for WeCom"};
    cli.require_subcommand(1);
    std::string config_path = "config/wedesk.jsonc";
    cli.add_option("--config", config_path, "config file (JSON with comments)");
    auto* version = cli.add_subcommand("version", "print the version");
    version->callback([] { std::cout << "wedesk " << WEDESK_VERSION << "\n"; });
    CLI11_PARSE(cli, argc, argv);
    return 0;
}

}  // namespace wedesk::app
