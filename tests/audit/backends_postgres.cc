// audit_postgres_test runs the parameterised suites on PostgreSQL.
#include "test_store.h"

namespace screening::audit::testing {

std::vector<Backend> Backends() { return {Backend::kPostgres}; }

std::unique_ptr<TestStore> MakeTestStore(Backend backend) {
  return backend == Backend::kPostgres ? MakePostgresTestStore() : nullptr;
}

}  // namespace screening::audit::testing
