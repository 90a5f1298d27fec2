#include "auth/api_keys.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/match.h"
#include "auth/crypto.h"
#include "gtest/gtest.h"
#include "store_backends.h"

namespace screening::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

class ApiKeyStoreTest : public testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    database_ = OpenDatabase();
    ASSERT_NE(database_, nullptr);
    auto keys = ApiKeyStore::Open(*database_);
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = std::move(*keys);
  }
  void TearDown() override {
    keys_.reset();
    database_.reset();
    StoreBackendTest::TearDown();
  }

  CreatedApiKey MustCreate(Role role, std::optional<absl::Time> expires = std::nullopt) {
    absl::StatusOr<CreatedApiKey> created = keys_->Create("test key", role, expires, kNow);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : CreatedApiKey{};
  }

  // Every failure must look the same to the caller.
  static void ExpectGenericRejection(const absl::StatusOr<Principal>& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(absl::IsUnauthenticated(result.status())) << result.status();
    EXPECT_EQ(result.status().message(), kInvalidApiKeyMessage);
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<ApiKeyStore> keys_;
};

TEST_P(ApiKeyStoreTest, CreatedKeyAuthenticatesWithItsRole) {
  CreatedApiKey screen = MustCreate(Role::kScreen);
  CreatedApiKey admin = MustCreate(Role::kAdmin);

  absl::StatusOr<Principal> p = keys_->Authenticate(screen.secret, kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->key_id, screen.key_id);
  EXPECT_EQ(p->role, Role::kScreen);

  p = keys_->Authenticate(admin.secret, kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->key_id, admin.key_id);
  EXPECT_EQ(p->role, Role::kAdmin);
}

TEST_P(ApiKeyStoreTest, SecretHasDocumentedShapeAndEmbedsKeyId) {
  CreatedApiKey key = MustCreate(Role::kScreen);
  EXPECT_EQ(key.key_id.size(), 16u);
  ASSERT_EQ(key.secret.size(), 3u + 16 + 1 + 64);
  EXPECT_TRUE(absl::StartsWith(key.secret, "sk_" + key.key_id + "_")) << key.secret;
  CreatedApiKey other = MustCreate(Role::kScreen);
  EXPECT_NE(key.key_id, other.key_id);
  EXPECT_NE(key.secret.substr(20), other.secret.substr(20));
}

TEST_P(ApiKeyStoreTest, WrongUnknownAndMalformedSecretsGetOneGenericError) {
  CreatedApiKey key = MustCreate(Role::kAdmin);
  std::string wrong_last = key.secret;
  wrong_last.back() = wrong_last.back() == '0' ? '1' : '0';
  std::string wrong_first = key.secret;
  wrong_first[20] = wrong_first[20] == '0' ? '1' : '0';
  std::string unknown_id = key.secret;
  unknown_id[3] = unknown_id[3] == '0' ? '1' : '0';

  ExpectGenericRejection(keys_->Authenticate(wrong_last, kNow));
  ExpectGenericRejection(keys_->Authenticate(wrong_first, kNow));
  ExpectGenericRejection(keys_->Authenticate(unknown_id, kNow));
  ExpectGenericRejection(keys_->Authenticate("", kNow));
  ExpectGenericRejection(keys_->Authenticate(key.key_id, kNow));
  ExpectGenericRejection(keys_->Authenticate(key.secret + "0", kNow));
  ExpectGenericRejection(keys_->Authenticate(key.secret.substr(0, key.secret.size() - 1), kNow));
  std::string upper = key.secret;
  for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  ExpectGenericRejection(keys_->Authenticate(upper, kNow));
  std::string sql_injection = "sk_' OR 1=1 --" + std::string(key.secret.size() - 14, 'a');
  ExpectGenericRejection(keys_->Authenticate(sql_injection, kNow));
  // The genuine secret still works afterwards.
  EXPECT_TRUE(keys_->Authenticate(key.secret, kNow).ok());
}

TEST_P(ApiKeyStoreTest, RevocationTakesEffectOnTheNextCall) {
  CreatedApiKey key = MustCreate(Role::kScreen);
  CreatedApiKey other = MustCreate(Role::kScreen);
  ASSERT_TRUE(keys_->Authenticate(key.secret, kNow).ok());
  ASSERT_TRUE(keys_->Revoke(key.key_id, kNow + absl::Seconds(5)).ok());
  ExpectGenericRejection(keys_->Authenticate(key.secret, kNow + absl::Seconds(6)));
  EXPECT_TRUE(keys_->Authenticate(other.secret, kNow).ok());  // only that key
}

TEST_P(ApiKeyStoreTest, RevocationByAnotherProcessOrInstanceIsSeenImmediately) {
  CreatedApiKey key = MustCreate(Role::kScreen);
  ASSERT_TRUE(keys_->Authenticate(key.secret, kNow).ok());
  std::unique_ptr<db::Database> other_replica = OpenDatabase();
  ASSERT_NE(other_replica, nullptr);
  auto second = ApiKeyStore::Open(*other_replica);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE((*second)->Revoke(key.key_id, kNow).ok());
  ExpectGenericRejection(keys_->Authenticate(key.secret, kNow));
}

TEST_P(ApiKeyStoreTest, RevokeUnknownIsNotFoundAndRevokingTwiceKeepsFirstTime) {
  EXPECT_TRUE(absl::IsNotFound(keys_->Revoke("0000000000000000", kNow)));
  CreatedApiKey key = MustCreate(Role::kScreen);
  ASSERT_TRUE(keys_->Revoke(key.key_id, kNow + absl::Seconds(1)).ok());
  ASSERT_TRUE(keys_->Revoke(key.key_id, kNow + absl::Seconds(99)).ok());
  auto list = keys_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].revoked_at, kNow + absl::Seconds(1));
}

TEST_P(ApiKeyStoreTest, ExpiredKeyIsRejectedFromItsExpiryInstantOn) {
  const absl::Time expiry = kNow + absl::Hours(1);
  CreatedApiKey key = MustCreate(Role::kAdmin, expiry);
  EXPECT_TRUE(keys_->Authenticate(key.secret, expiry - absl::Microseconds(1)).ok());
  ExpectGenericRejection(keys_->Authenticate(key.secret, expiry));
  ExpectGenericRejection(keys_->Authenticate(key.secret, expiry + absl::Hours(24 * 365)));
}

TEST_P(ApiKeyStoreTest, CreateRejectsBadInput) {
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("", Role::kScreen, std::nullopt, kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create(std::string(201, 'x'), Role::kScreen, std::nullopt, kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("a\nb", Role::kScreen, std::nullopt, kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("ok", Role::kScreen, kNow, kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("ok", Role::kScreen, kNow - absl::Seconds(1), kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("ok", static_cast<Role>(7), std::nullopt, kNow).status()));
  auto list = keys_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_TRUE(keys_->Create(std::string(200, 'x'), Role::kScreen, std::nullopt, kNow).ok());
  EXPECT_TRUE(keys_->Create("b\xc3\xb6rse \"deposits\", eu", Role::kScreen, std::nullopt, kNow).ok());
}

TEST_P(ApiKeyStoreTest, ListShowsEveryKeyWithItsState) {
  CreatedApiKey a = MustCreate(Role::kScreen);
  absl::StatusOr<CreatedApiKey> b = keys_->Create("ops", Role::kAdmin, kNow + absl::Hours(2), kNow + absl::Seconds(1));
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(keys_->Revoke(a.key_id, kNow + absl::Seconds(3)).ok());
  auto list = keys_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key_id, a.key_id);
  EXPECT_EQ((*list)[0].name, "test key");
  EXPECT_EQ((*list)[0].role, Role::kScreen);
  EXPECT_EQ((*list)[0].created_at, kNow);
  EXPECT_FALSE((*list)[0].expires_at.has_value());
  EXPECT_EQ((*list)[0].revoked_at, kNow + absl::Seconds(3));
  EXPECT_EQ((*list)[1].key_id, b->key_id);
  EXPECT_EQ((*list)[1].name, "ops");
  EXPECT_EQ((*list)[1].role, Role::kAdmin);
  EXPECT_EQ((*list)[1].expires_at, kNow + absl::Hours(2));
  EXPECT_FALSE((*list)[1].revoked_at.has_value());
}

TEST_P(ApiKeyStoreTest, SecretIsNeverStoredOnlyItsHash) {
  std::vector<CreatedApiKey> created;
  for (int i = 0; i < 5; ++i) created.push_back(MustCreate(i % 2 ? Role::kAdmin : Role::kScreen));
  for (const CreatedApiKey& key : created) ASSERT_TRUE(keys_->Authenticate(key.secret, kNow).ok());
  ASSERT_TRUE(keys_->Revoke(created[0].key_id, kNow).ok());
  keys_.reset();  // closes every connection

  database_.reset();
  const std::string bytes = StoredBytes();
  ASSERT_FALSE(bytes.empty());
  for (const CreatedApiKey& key : created) {
    const std::string random_hex = key.secret.substr(20);
    EXPECT_EQ(bytes.find(key.secret), std::string::npos);
    EXPECT_EQ(bytes.find(random_hex), std::string::npos);
    EXPECT_EQ(bytes.find(random_hex.substr(0, 16)), std::string::npos);
    // The scan can see stored values: the key id and the hash are there.
    EXPECT_NE(bytes.find(key.key_id), std::string::npos);
    Sha256Digest digest = Sha256(key.secret);
    EXPECT_NE(bytes.find(std::string(digest.begin(), digest.end())), std::string::npos);
  }
}

TEST_P(ApiKeyStoreTest, WrongRoleIsDeniedAfterAuthentication) {
  CreatedApiKey key = MustCreate(Role::kScreen);
  absl::StatusOr<Principal> p = keys_->Authenticate(key.secret, kNow);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(Authorize(*p, Role::kScreen).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(Authorize(*p, Role::kAdmin)));
}

TEST_P(ApiKeyStoreTest, TamperedStoredRoleIsRejected) {
  CreatedApiKey key = MustCreate(Role::kScreen);
  // The CHECK constraint keeps unknown roles out of the table entirely.
  EXPECT_FALSE(ExecuteSql("UPDATE api_keys SET role = 'root'").ok());
  EXPECT_TRUE(keys_->Authenticate(key.secret, kNow).ok());
}

TEST_P(ApiKeyStoreTest, ConcurrentAuthenticationAndRevocation) {
  std::vector<CreatedApiKey> created;
  for (int i = 0; i < 4; ++i) created.push_back(MustCreate(Role::kScreen));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (!keys_->Authenticate(created[t].secret, kNow).ok()) failures++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(keys_->Revoke(created[2].key_id, kNow).ok());
  ExpectGenericRejection(keys_->Authenticate(created[2].secret, kNow));
}

TEST_P(ApiKeyStoreTest, NamesThatAreNotUtf8AreRefusedOnEveryBackend) {
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("b\xf6rse", Role::kScreen, std::nullopt, kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("\xc0\xaf", Role::kScreen, std::nullopt, kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("\xed\xa0\x80", Role::kScreen, std::nullopt, kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("ab\xe2\x82", Role::kScreen, std::nullopt, kNow).status()));
  EXPECT_TRUE(keys_->Create("\xf0\x9f\x94\x91 vault", Role::kScreen, std::nullopt, kNow).ok());
}

TEST_P(ApiKeyStoreTest, RefusesADatabaseWithoutTheSchema) {
  ASSERT_TRUE(ExecuteSql("DROP TABLE api_keys").ok());
  auto keys = ApiKeyStore::Open(*database_);
  EXPECT_TRUE(absl::IsFailedPrecondition(keys.status())) << keys.status();
}

SCREENING_INSTANTIATE_ON_EVERY_BACKEND(ApiKeyStoreTest);

}  // namespace
}  // namespace screening::auth
