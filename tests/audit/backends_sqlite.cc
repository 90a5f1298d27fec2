// audit_test runs the parameterised suites on SQLite.
#include "test_store.h"

namespace screening::audit::testing {

std::vector<Backend> Backends() { return {Backend::kSqlite}; }

std::unique_ptr<TestStore> MakeTestStore(Backend backend) {
  return backend == Backend::kSqlite ? MakeSqliteTestStore() : nullptr;
}

}  // namespace screening::audit::testing
