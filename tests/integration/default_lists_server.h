// A fixture for suites whose tests share one screening server on the shipped
// default lists: started once per suite (starting one costs more than most
// tests), with a fresh channel and stub for each test.
#ifndef SCREENING_TESTS_INTEGRATION_DEFAULT_LISTS_SERVER_H_
#define SCREENING_TESTS_INTEGRATION_DEFAULT_LISTS_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {

class DefaultListsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess({"--db", dir_->File("screening.db"), "--lists", RepoPath("lists/sources.conf")});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->started()) << server_->Output();
    channel_ = Connect(server_->target());
    stub_ = v1::ScreeningService::NewStub(channel_);
  }

  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
};

}  // namespace screening::testing

#endif  // SCREENING_TESTS_INTEGRATION_DEFAULT_LISTS_SERVER_H_
