// screening-cli: screen crypto addresses against the sanctions screening
// service, inspect its list snapshot, and administer it.
//
// Exit codes (also printed by --help; see exit_codes.h):
//   0  all clear: every address screened, none matched
//   1  at least one address matched a list (admin audit verify: chain broken)
//   2  at least one address was invalid, and none matched
//   3  usage error: bad flags or arguments, unreadable input/certificate file
//   4  server unavailable: connection failed, no snapshot loaded, deadline
//   5  the server refused the caller (UNAUTHENTICATED, PERMISSION_DENIED)
//   6  any other server error, or an I/O error
// Precedence: a failed call (4, 5, 6) wins over every verdict, since an
// address that was not screened must never look clear. With --file: match (1)
// wins over item errors (6), which win over invalid (2), which wins over 0.
//
// This file only wires flags to the commands in check.cc, info.cc, health.cc,
// history.cc, watch.cc and admin.cc.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "admin.h"
#include "check.h"
#include "connection.h"
#include "exit_codes.h"
#include "health.h"
#include "history.h"
#include "info.h"
#include "watch.h"

namespace screening::cli {
namespace {

constexpr char kFileFormatHelp[] =
    "Input file (--file): one address per line, or 'address,chain' to give a\n"
    "chain hint for that line. LF or CRLF line endings; surrounding blanks are\n"
    "ignored; blank lines and lines starting with '#' are skipped. Lines that\n"
    "cannot be sent (not UTF-8, longer than 64 KiB, more than one comma) are\n"
    "reported as errors. Each address is sent with the reference\n"
    "'<--reference or \"line\">:<line number>'.\n"
    "Output: one line per address in input order, then a summary; with --json,\n"
    "one JSON object per line ({line, input, chain_hint, result|error}) and\n"
    "the summary on stderr. Progress is shown on stderr only when stderr is a\n"
    "terminal.\n\n";

// Sets the footer (exit codes) of a command and its connection flags.
CLI::App* Command(CLI::App* parent, const std::string& name,
                  const std::string& description, ConnectionOptions* connection,
                  const std::string& extra_footer = "") {
  CLI::App* command = parent->add_subcommand(name, description);
  command->footer(extra_footer + kExitCodeHelp);
  if (connection != nullptr) AddConnectionOptions(command, connection);
  return command;
}

int WithConnection(const ConnectionOptions& options,
                   const std::function<int(const Connection&)>& run) {
  std::string error;
  std::unique_ptr<Connection> connection = Connection::Open(options, &error);
  if (connection == nullptr) {
    std::cerr << "error: " << error << "\n";
    return kExitUsage;
  }
  return run(*connection);
}

int Main(int argc, char** argv) {
  CLI::App app("screening-cli: screen crypto addresses against sanctions and "
               "attribution lists, via the screening service.\n"
               "Connection flags (--target, --api-key, --tls, --timeout, ...) "
               "go after the command, e.g.\n"
               "  screening-cli check 0xABC... --target host:50051");
  app.footer(kExitCodeHelp);
  app.require_subcommand(1);
  ConnectionOptions connection;
  std::function<int()> run;

  // check
  CheckOptions check;
  CLI::App* check_cmd =
      Command(&app, "check", "Screen one address, or every line of a file",
              &connection, kFileFormatHelp);
  CLI::Option* address_opt = check_cmd->add_option(
      "ADDRESS", check.address, "The address to screen, as written");
  CLI::Option* file_opt = check_cmd->add_option(
      "--file,-f", check.file,
      "Screen every line of this file ('-' is stdin); see below");
  address_opt->excludes(file_opt);
  check_cmd->add_option("--chain", check.chain,
                        "Chain or asset hint (ETH, BTC, TRX, USDT, ...); with "
                        "--file, the default for lines without one");
  check_cmd->add_option("--reference", check.reference,
                        "Your id for the request (e.g. a transfer id), echoed "
                        "and audited; with --file, the prefix of each line's "
                        "reference");
  check_cmd->add_flag("--json", check.json,
                      "Print JSON (one object; JSON Lines with --file) with "
                      "the API's snake_case field names");
  CLI::Option* batch_opt = check_cmd->add_flag(
      "--batch", check.batch,
      "With --file: use ScreenBatch calls instead of one ScreenStream");
  check_cmd
      ->add_option("--batch-size", check.batch_size,
                   "With --batch: addresses per call")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str()
      ->needs(batch_opt);
  batch_opt->needs(file_opt);
  check_cmd->callback([&] {
    if (check.file.empty() && address_opt->count() == 0) {
      throw CLI::RequiredError("ADDRESS or --file");
    }
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return check.file.empty() ? RunCheck(c, check) : RunCheckFile(c, check);
      });
    };
  });

  // info
  bool json = false;
  CLI::App* info_cmd = Command(
      &app, "info",
      "Show the loaded list snapshot: sources, counts, filter, staleness",
      &connection);
  info_cmd->add_flag("--json", json, "Print one JSON object");
  info_cmd->callback([&] {
    run = [&] {
      return WithConnection(
          connection, [&](const Connection& c) { return RunInfo(c, json); });
    };
  });

  // health
  std::string health_service;
  CLI::App* health_cmd = Command(
      &app, "health",
      "grpc.health.v1 check (no API key needed): exit 0 when SERVING, 4 otherwise",
      &connection);
  health_cmd->add_option("--service", health_service,
                         "Service to check, e.g. screening.v1.ScreeningService (default: the server)");
  health_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) { return RunHealth(c, health_service); });
    };
  });

  // history
  std::string history_address, history_chain;
  CLI::App* history_cmd = Command(
      &app, "history",
      "When each listing of an address entered and left the lists (exit 1: "
      "listed now)",
      &connection);
  history_cmd->add_option("ADDRESS", history_address, "The address, as written")
      ->required();
  history_cmd->add_option("--chain", history_chain,
                          "Chain or asset hint (ETH, BTC, TRX, USDT, ...)");
  history_cmd->add_flag("--json", json, "Print one JSON object");
  history_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return RunHistory(c, history_address, history_chain, json);
      });
    };
  });

  // watch
  std::string since;
  CLI::App* watch_cmd = Command(
      &app, "watch",
      "Print each new list snapshot and its diff as the server loads it",
      &connection);
  watch_cmd->add_option("--since", since,
                        "First replay every snapshot created after this id");
  watch_cmd->add_flag("--json", json, "Print one JSON object per snapshot");
  watch_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return RunWatch(c, since, json);
      });
    };
  });

  // admin
  CLI::App* admin = app.add_subcommand(
      "admin", "Administration (needs an API key with the admin role)");
  admin->footer(kExitCodeHelp);
  admin->require_subcommand(1);

  bool force = false;
  CLI::App* reload_cmd =
      Command(admin, "reload", "Refresh every list source now", &connection);
  reload_cmd->add_flag("--force", force,
                       "Accept a refresh that removes more entries than the "
                       "server's safety limit");
  reload_cmd->add_flag("--json", json, "Print one JSON object");
  reload_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return RunReload(c, force, json);
      });
    };
  });

  CLI::App* keys = admin->add_subcommand("keys", "Manage API keys");
  keys->footer(kExitCodeHelp);
  keys->require_subcommand(1);

  std::string key_name, key_role, key_expires;
  CLI::App* create_cmd = Command(
      keys, "create",
      "Create an API key; its secret is printed once and never again",
      &connection);
  create_cmd->add_option("--name", key_name, "A label for people")
      ->required();
  create_cmd->add_option("--role", key_role, "screen or admin")
      ->required()
      ->check(CLI::IsMember({"screen", "admin"}));
  create_cmd
      ->add_option("--expires", key_expires,
                   "Expiry, RFC 3339 (2025-12-31T23:59:59Z); default: never")
      ->check(CLI::Validator(
          [](std::string& value) {
            return IsRfc3339(value) ? std::string()
                                    : "not an RFC 3339 date-time: " + value;
          },
          "RFC3339"));
  create_cmd->add_flag("--json", json, "Print one JSON object");
  create_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return RunKeysCreate(c, key_name, key_role, key_expires, json);
      });
    };
  });

  std::string key_id;
  CLI::App* revoke_cmd =
      Command(keys, "revoke", "Revoke an API key", &connection);
  revoke_cmd->add_option("KEY_ID", key_id, "The key to revoke")->required();
  revoke_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return RunKeysRevoke(c, key_id);
      });
    };
  });

  CLI::App* list_cmd = Command(keys, "list", "List API keys", &connection);
  list_cmd->add_flag("--json", json, "Print one JSON object");
  list_cmd->callback([&] {
    run = [&] {
      return WithConnection(
          connection, [&](const Connection& c) { return RunKeysList(c, json); });
    };
  });

  CLI::App* audit = admin->add_subcommand("audit", "The audit record");
  audit->footer(kExitCodeHelp);
  audit->require_subcommand(1);

  CLI::App* verify_cmd = Command(
      audit, "verify",
      "Check the audit hash chain; exit 1 when a record was altered, inserted "
      "or deleted",
      &connection);
  verify_cmd->add_flag("--json", json, "Print one JSON object");
  verify_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return RunAuditVerify(c, json);
      });
    };
  });

  std::string from_time, to_time, format = "csv";
  const auto rfc3339 = CLI::Validator(
      [](std::string& value) {
        return IsRfc3339(value) ? std::string()
                                : "not an RFC 3339 date-time: " + value;
      },
      "RFC3339");
  CLI::App* export_cmd = Command(
      audit, "export",
      "Write audit records (oldest first) to stdout as CSV with a header row "
      "(RFC 4180 quoting, LF line ends) or JSON Lines",
      &connection);
  export_cmd->add_option("--from", from_time, "Earliest time, RFC 3339")
      ->check(rfc3339);
  export_cmd->add_option("--to", to_time, "Latest time, RFC 3339")
      ->check(rfc3339);
  export_cmd->add_option("--format", format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  export_cmd->callback([&] {
    run = [&] {
      return WithConnection(connection, [&](const Connection& c) {
        return RunAuditExport(c, from_time, to_time, format);
      });
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!run) {
    std::cerr << app.help();
    return kExitUsage;
  }
  return run();
}

}  // namespace
}  // namespace screening::cli

int main(int argc, char** argv) { return screening::cli::Main(argc, argv); }
