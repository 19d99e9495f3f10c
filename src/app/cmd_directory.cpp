// `wedesk admin directory ...`: accounts of the local demo directory (directory.kind=local),
// which lives in the wedesk database itself. These commands refuse to run against any other
// directory kind: a real directory (LDAP/AD) is administered with its own tools.
//   add-local ACCOUNT --name N [--mobile M] --password-stdin [--protected]
//   lock-local ACCOUNT                       (as too many bad logons would: to demo 解锁账号)
//   check-local ACCOUNT --password-stdin     (exit 0 when the password is the current one)
#include <unistd.h>

#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/secret.hpp"
#include "wedesk/directory/local_directory.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

namespace wedesk::app {

namespace {

struct DirectoryArgs {
    std::string account;
    std::string name;
    std::string mobile;
    bool password_stdin = false;
    bool is_protected = false;
};

/// Reads one line from stdin (the password), without its line ending. Empty on EOF.
Secret ReadPasswordLine() {
    std::string line;
    std::getline(std::cin, line);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.pop_back();
    }
    Secret s(line);
    WipeString(line);
    return s;
}

/// Loads the config, checks it uses the local directory, opens the database and runs `body`
/// (which returns the exit code). Errors: 2 for the config, 1 otherwise.
int WithLocalDirectory(const CliContext& ctx,
                       const std::function<int(directory::LocalDirectory&)>& body) {
    auto cfg = LoadConfigOrReport(ctx);
    if (!cfg) {
        return 2;
    }
    log::Setup("warn", "text");
    if (!cfg->directory || cfg->directory->kind != "local") {
        std::cerr << "wedesk: directory.kind is not \"local\" in " << ctx.config_path
                  << ": these commands only manage the demo directory kept in the database\n";
        return 2;
    }
    try {
        auto db = store::Database::Open(cfg->database.path, schema::All());
        directory::LocalDirectory dir(*db);
        return body(dir);
    } catch (const std::exception& e) {
        std::cerr << "wedesk: error: " << e.what() << "\n";
    }
    return 1;
}

}  // namespace

void AddDirectoryAdminCommands(CLI::App& admin, CliContext& ctx) {
    auto* dir = admin.add_subcommand(
        "directory", "the local demo directory (directory.kind=local): add, lock, check accounts");
    dir->require_subcommand(1);
    auto a = std::make_shared<DirectoryArgs>();

    auto* add = dir->add_subcommand(
        "add-local",
        "create or replace an account of the local demo directory; the password is read from "
        "the first line of stdin (never from the command line)");
    add->add_option("ACCOUNT", a->account, "login name (matches the users CSV 'account')")
        ->required();
    add->add_option("--name", a->name, "display name")->required();
    add->add_option("--mobile", a->mobile, "mobile number the SMS code goes to (optional)");
    add->add_flag("--password-stdin", a->password_stdin, "read the password from stdin")
        ->required();
    add->add_flag("--protected", a->is_protected, "a privileged account the bot must never reset");
    add->callback([&ctx, a] {
        ctx.exit_code = WithLocalDirectory(ctx, [a](directory::LocalDirectory& d) {
            const Secret password = ReadPasswordLine();
            if (password.empty()) {
                std::cerr << "wedesk: directory add-local: no password on stdin\n";
                return 1;
            }
            std::optional<std::string> mobile;
            if (!a->mobile.empty()) {
                mobile = a->mobile;
            }
            auto r = d.AddAccount(a->account, a->name, mobile, password, a->is_protected);
            if (!r.ok()) {
                std::cerr << "wedesk: directory add-local " << a->account << ": "
                          << r.error().message << "\n";
                return 1;
            }
            std::cout << "local account " << a->account << " (" << a->name << ") saved"
                      << (a->is_protected ? ", protected" : "") << "\n";
            return 0;
        });
    });

    auto* lock = dir->add_subcommand(
        "lock-local",
        "mark a local account locked, as too many bad logons would (to try 解锁账号)");
    lock->add_option("ACCOUNT", a->account, "login name")->required();
    lock->callback([&ctx, a] {
        ctx.exit_code = WithLocalDirectory(ctx, [a](directory::LocalDirectory& d) {
            auto r = d.Lock(a->account);
            if (!r.ok()) {
                std::cerr << "wedesk: directory lock-local " << a->account << ": "
                          << (r.error().code == Errc::kNotFound ? "no such account"
                                                                : r.error().message)
                          << "\n";
                return 1;
            }
            std::cout << "local account " << a->account << " is locked\n";
            return 0;
        });
    });

    auto* check = dir->add_subcommand(
        "check-local",
        "state of a local account; with --password-stdin also whether the password on stdin is "
        "its current one (exit 1 when not)");
    check->add_option("ACCOUNT", a->account, "login name")->required();
    check->add_flag("--password-stdin", a->password_stdin, "read a password to check from stdin");
    check->callback([&ctx, a] {
        ctx.exit_code = WithLocalDirectory(ctx, [a](directory::LocalDirectory& d) {
            auto acc = d.Find(a->account);
            if (!acc.ok()) {
                std::cerr << "wedesk: directory check-local " << a->account << ": "
                          << (acc.error().code == Errc::kNotFound ? "no such account"
                                                                  : acc.error().message)
                          << "\n";
                return 1;
            }
            std::cout << acc->account << "\t" << acc->display_name << "\t"
                      << (acc->mobile ? *acc->mobile : "-") << "\t"
                      << (acc->locked ? "locked" : "not locked") << "\t"
                      << (d.MustChange(acc->account) ? "must change password"
                                                     : "password not expired")
                      << (acc->is_protected ? "\tprotected" : "") << "\n";
            if (!a->password_stdin) {
                return 0;
            }
            const bool match = d.CheckPassword(acc->account, ReadPasswordLine());
            std::cout << (match ? "password matches" : "password does not match") << "\n";
            return match ? 0 : 1;
        });
    });
}

}  // namespace wedesk::app
