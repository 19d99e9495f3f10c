// wedesk command line: parses arguments and hands over to app/. Nothing else lives here.
#include "wedesk/app/cli.hpp"

int main(int argc, char** argv) { return wedesk::app::RunCli(argc, argv); }
