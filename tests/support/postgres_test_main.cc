// main() for test binaries that use the shared PostgreSQL server
// (postgres_server.h): gtest_main plus the environment that starts it.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "postgres_server.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new screening::testing::PostgresEnvironment());
  return RUN_ALL_TESTS();
}
