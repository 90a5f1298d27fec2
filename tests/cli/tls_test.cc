// --tls, --ca-cert, --client-cert, --client-key against a fake server that
// requires mutual TLS. Certificates are made at test time with the openssl
// command; the tests skip, saying so, when it is missing.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace screening::cli_test {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl command is not installed; cannot make "
                      "test certificates";
    }
    char dir_template[] = "/tmp/screening-cli-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    std::ofstream(dir_ + "/server.ext")
        << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
    std::ofstream(dir_ + "/client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string d = dir_;
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script =
        "cd " + d + " && "
        "openssl req -x509" + key + " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca && "
        "openssl req" + key + " -keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile server.ext && "
        "openssl req" + key + " -keyout client.key -out client.csr -subj /CN=test-client && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out client.pem -days 2 -extfile client.ext";
    ASSERT_EQ(std::system(("(" + script + ") >/dev/null 2>&1").c_str()), 0)
        << "openssl failed to make test certificates in " << d;

    grpc::SslServerCredentialsOptions options(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = ReadFile(d + "/ca.pem");
    options.pem_key_cert_pairs.push_back(
        {ReadFile(d + "/server.key"), ReadFile(d + "/server.pem")});
    server_ = std::make_unique<FakeServer>(grpc::SslServerCredentials(options));
  }

  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) {
      std::system(("rm -rf " + dir_).c_str());
    }
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
  std::unique_ptr<FakeServer> server_;
};

TEST_F(TlsTest, MutualTlsScreens) {
  CliRun run = RunCli(At(*server_, {"check", "0x01", "--tls", "--ca-cert",
                                    Path("ca.pem"), "--client-cert",
                                    Path("client.pem"), "--client-key",
                                    Path("client.key"), "--api-key", "k"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(server_->recorded().screened.size(), 1u);
  EXPECT_EQ(server_->recorded().authorization.at(0), "Bearer k");
}

TEST_F(TlsTest, MutualTlsStreamsAFile) {
  CliOptions options;
  options.stdin_data = "0x01\n0xbad2\n";
  CliRun run = RunCli(At(*server_, {"check", "--file", "-", "--tls",
                                    "--ca-cert", Path("ca.pem"),
                                    "--client-cert", Path("client.pem"),
                                    "--client-key", Path("client.key")}),
                      options);
  EXPECT_EQ(run.exit_code, 1) << run.err;
}

TEST_F(TlsTest, WithoutClientCertificateTheServerRefusesTheConnection) {
  CliRun run = RunCli(
      At(*server_, {"check", "0x01", "--tls", "--ca-cert", Path("ca.pem")}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_TRUE(server_->recorded().screened.empty());
}

TEST_F(TlsTest, UntrustedServerCertificateIsRejected) {
  // The system roots do not include the test CA.
  CliRun run = RunCli(At(*server_, {"check", "0x01", "--tls", "--client-cert",
                                    Path("client.pem"), "--client-key",
                                    Path("client.key")}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_TRUE(server_->recorded().screened.empty());
}

TEST_F(TlsTest, PlaintextClientCannotTalkToTheTlsServer) {
  CliRun run = RunCli(At(*server_, {"check", "0x01"}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_TRUE(server_->recorded().screened.empty());
}

TEST(TlsPlaintextServerTest, TlsClientCannotTalkToAPlaintextServer) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "0x01", "--tls"}));
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_TRUE(server.recorded().screened.empty());
}

}  // namespace
}  // namespace screening::cli_test
