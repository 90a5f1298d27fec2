// Helpers shared by the security_* and audit_* integration tests: API keys
// made with the server's offline `keys create`, authenticated call contexts,
// test-time certificates from the openssl CLI, and direct SQLite edits.
#ifndef SCREENING_TESTS_INTEGRATION_SECURITY_TEST_SUPPORT_H_
#define SCREENING_TESTS_INTEGRATION_SECURITY_TEST_SUPPORT_H_

#include <grpcpp/grpcpp.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {

struct TestKey {
  std::string key_id;
  std::string secret;
};

// `screening-server keys create` on `db`; fails the test when it does not work.
inline TestKey CreateKeyOffline(const std::string& db, const std::string& name, const std::string& role) {
  RunResult run = RunProcess({ServerBinary(), "keys", "create", "--db", db, "--name", name, "--role", role});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  TestKey key;
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("key_id: ", 0) == 0) key.key_id = line.substr(8);
    if (line.rfind("secret: ", 0) == 0) key.secret = line.substr(8);
  }
  EXPECT_FALSE(key.secret.empty()) << run.out;
  return key;
}

// A context with a deadline and, unless `secret` is empty, the bearer key.
inline std::unique_ptr<grpc::ClientContext> AuthContext(const std::string& secret, int seconds = 30) {
  std::unique_ptr<grpc::ClientContext> context = Context(seconds);
  if (!secret.empty()) context->AddMetadata("authorization", "Bearer " + secret);
  return context;
}

// Runs `sql` on the database file; fails the test on an error.
inline void ExecSql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << message;
}

// The single integer `sql` selects.
inline int64_t QueryInt(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* statement = nullptr;
  int64_t value = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    value = sqlite3_column_int64(statement, 0);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline bool HaveOpenssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

// Test-time PKI in a directory: ca.pem/ca.key, server.pem/server.key (for
// localhost and 127.0.0.1), client.pem/client.key signed by ca, and
// other-ca.pem with other-client.pem/.key signed by it.
class TestPki {
 public:
  explicit TestPki(const std::string& dir) : dir_(dir) {}

  // False (with the reason in *error) when openssl fails.
  bool Generate(std::string* error) {
    const std::string d = dir_;
    std::vector<std::string> commands = {
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout " + d + "/ca.key -out " + d +
            "/ca.pem",
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout " + d + "/other-ca.key -out " +
            d + "/other-ca.pem",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > " + d + "/server.ext",
        "printf 'extendedKeyUsage=clientAuth\\n' > " + d + "/client.ext",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + d + "/server.key -out " + d +
            "/server.csr",
        "openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d + "/ca.key -CAcreateserial " +
            "-days 2 -extfile " + d + "/server.ext -out " + d + "/server.pem",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout " + d + "/client.key -out " + d + "/client.csr",
        "openssl x509 -req -in " + d + "/client.csr -CA " + d + "/ca.pem -CAkey " + d + "/ca.key -CAcreateserial " +
            "-days 2 -extfile " + d + "/client.ext -out " + d + "/client.pem",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=intruder -keyout " + d + "/other-client.key -out " + d +
            "/other-client.csr",
        "openssl x509 -req -in " + d + "/other-client.csr -CA " + d + "/other-ca.pem -CAkey " + d +
            "/other-ca.key -CAcreateserial -days 2 -extfile " + d + "/client.ext -out " + d + "/other-client.pem",
    };
    for (const std::string& command : commands) {
      if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
        *error = "openssl failed: " + command;
        return false;
      }
    }
    return true;
  }

  std::string File(const std::string& name) const { return dir_ + "/" + name; }

  // A TLS channel trusting ca.pem, optionally presenting a client certificate
  // (`client` = "client" or "other-client").
  std::shared_ptr<grpc::Channel> Channel(const std::string& target, const std::string& client = "") const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(File("ca.pem"));
    if (!client.empty()) {
      ssl.pem_cert_chain = ReadFile(File(client + ".pem"));
      ssl.pem_private_key = ReadFile(File(client + ".key"));
    }
    return grpc::CreateChannel(target, grpc::SslCredentials(ssl));
  }

 private:
  std::string dir_;
};

}  // namespace screening::testing

#endif  // SCREENING_TESTS_INTEGRATION_SECURITY_TEST_SUPPORT_H_
