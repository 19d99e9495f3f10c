#pragma once
/// The `wedesk` command line (serve, admin, sim): parses arguments with CLI11 and runs the
/// chosen command. Returns the process exit code.

namespace wedesk::app {

int RunCli(int argc, char** argv);

}  // namespace wedesk::app
