// What the API layer does with hostile input before any screening: the field
// limits and their messages, the diagnosis of requests that are not valid
// messages, the peer a failed authentication is counted under, and the log
// that a flood cannot fill.
#include <grpcpp/support/byte_buffer.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/key_gate.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "api/throttled_log.h"
#include "gtest/gtest.h"
#include "screening/v1/admin.pb.h"
#include "screening/v1/screening.pb.h"

namespace screening::api {
namespace {

// Protobuf wire format by hand, to write what a well-behaved encoder will not.
std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}
std::string Field(int number, const std::string& bytes) {
  return Varint(static_cast<uint64_t>(number) << 3 | 2) + Varint(bytes.size()) + bytes;
}

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(RequestLimitsTest, EveryScreenRequestFieldHasALimitAndAMessageNamingIt) {
  v1::ScreenRequest request;
  request.set_address("0x52908400098527886E0F7030069857D2E4169EE7");
  EXPECT_TRUE(CheckScreenRequest(request).ok());
  request.set_chain(std::string(32, 'C'));
  request.set_reference(std::string(256, 'r'));
  EXPECT_TRUE(CheckScreenRequest(request).ok()) << "exactly at the limits";

  v1::ScreenRequest bad = request;
  bad.set_chain(std::string(4097, 'C'));
  grpc::Status status = CheckScreenRequest(bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "chain is 4097 bytes long; the limit is 32");
  EXPECT_EQ(CheckScreenRequest(bad, FieldPath("requests", 3)).error_message(),
            "requests[3].chain is 4097 bytes long; the limit is 32");
  EXPECT_EQ(CheckScreenRequest(bad, FieldPath("request")).error_message(),
            "request.chain is 4097 bytes long; the limit is 32");

  bad = request;
  bad.set_reference(std::string(257, 'r'));
  EXPECT_EQ(CheckScreenRequest(bad, FieldPath("requests", 0)).error_message(),
            "requests[0].reference is 257 bytes long; the limit is 256");
  bad = request;
  bad.set_address(std::string(64 << 10, 'a'));
  EXPECT_EQ(CheckScreenRequest(bad).error_message(), "address is 65536 bytes long; the limit is 256");
  bad.set_address(" \t\r\n");
  EXPECT_EQ(CheckScreenRequest(bad, FieldPath("requests", 9)).error_message(), "requests[9].address is empty");
  // The first field that breaks its limit, in field order.
  bad.set_chain(std::string(33, 'C'));
  EXPECT_EQ(CheckScreenRequest(bad).error_message(), "address is empty");
}

TEST(RequestLimitsTest, HistoryWatchAndAdminFieldsHaveLimits) {
  v1::GetAddressHistoryRequest history;
  history.set_address("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu");
  history.set_chain(std::string(33, 'x'));
  EXPECT_EQ(CheckHistoryRequest(history).error_message(), "chain is 33 bytes long; the limit is 32");
  history.clear_chain();
  EXPECT_TRUE(CheckHistoryRequest(history).ok());
  history.set_address("");
  EXPECT_EQ(CheckHistoryRequest(history).error_message(), "address is empty");

  v1::WatchSnapshotsRequest watch;
  EXPECT_TRUE(CheckWatchRequest(watch).ok());
  watch.set_since_snapshot_id(std::string(64, 'a'));
  EXPECT_TRUE(CheckWatchRequest(watch).ok());
  watch.set_since_snapshot_id("not-a-snapshot");
  EXPECT_TRUE(CheckWatchRequest(watch).ok()) << "looked up: NOT_FOUND";
  watch.set_since_snapshot_id(std::string(4 << 20, 'A'));
  grpc::Status status = CheckWatchRequest(watch);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "since_snapshot_id is 4194304 bytes long; the limit is 64");

  v1::CreateApiKeyRequest create;
  EXPECT_EQ(CheckCreateApiKeyRequest(create).error_message(), "name is empty");
  create.set_name(std::string(201, 'n'));
  EXPECT_EQ(CheckCreateApiKeyRequest(create).error_message(), "name is 201 bytes long; the limit is 200");
  create.set_name("ops");
  create.set_expires_at(std::string(65, '2'));
  EXPECT_EQ(CheckCreateApiKeyRequest(create).error_message(), "expires_at is 65 bytes long; the limit is 64");

  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id("0123456789abcdef");
  EXPECT_TRUE(CheckRevokeApiKeyRequest(revoke).ok());
  revoke.set_key_id("0123456789ABCDEF\n");
  EXPECT_EQ(CheckRevokeApiKeyRequest(revoke).error_message(),
            "key_id '0123456789ABCDEF\\n' is not a key id (16 lowercase hex characters)");

  v1::ExportAuditRequest export_request;
  export_request.set_to_time(std::string(1 << 20, '9'));
  EXPECT_EQ(CheckExportAuditRequest(export_request).error_message(),
            "to_time is 1048576 bytes long; the limit is 64");
}

TEST(RequestLimitsTest, QuoteEscapesAndCuts) {
  EXPECT_EQ(Quote("abc"), "abc");
  EXPECT_EQ(Quote("a\x01\xff"), "a\\x01\\xff");
  EXPECT_EQ(Quote(std::string(100, 'z'), 4), "zzzz...");
}

TEST(RawMessagesTest, AValidRequestParses) {
  v1::ScreenBatchRequest request;
  request.add_requests()->set_address("0x52908400098527886E0F7030069857D2E4169EE7");
  request.mutable_requests(0)->set_reference("Überweisung-送金");
  v1::ScreenBatchRequest parsed;
  ASSERT_TRUE(ParseRequest(Buffer(request.SerializeAsString()), &parsed).ok());
  EXPECT_EQ(parsed.requests(0).reference(), "Überweisung-送金");
  // Unknown fields (a newer client) are no error.
  v1::GetSnapshotRequest empty;
  EXPECT_TRUE(ParseRequest(Buffer(Field(99, "future")), &empty).ok());
}

TEST(RawMessagesTest, NonUtf8StringsAreNamedByTheirFieldPath) {
  const std::string good = Field(1, "0x52908400098527886E0F7030069857D2E4169EE7");
  const std::string batch = Field(1, good) + Field(1, good) + Field(1, good + Field(2, "ET\xff"));
  EXPECT_EQ(DescribeMalformed(batch, v1::ScreenBatchRequest::descriptor()), "requests[2].chain is not valid UTF-8");
  v1::ScreenBatchRequest request;
  grpc::Status status = ParseRequest(Buffer(batch), &request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request is not a valid screening.v1.ScreenBatchRequest: requests[2].chain is not valid UTF-8");

  const std::string stream = Field(1, Field(3, "ref\xc3"));
  EXPECT_EQ(DescribeMalformed(stream, v1::ScreenStreamRequest::descriptor()), "request.reference is not valid UTF-8");
  v1::CreateApiKeyRequest create;
  EXPECT_EQ(ParseRequest(Buffer(Field(1, "\xfe\xfe")), &create).error_message(),
            "the request is not a valid screening.v1.CreateApiKeyRequest: name is not valid UTF-8");
}

TEST(RawMessagesTest, GarbageIsAnInvalidArgumentNamingTheType) {
  for (const std::string& garbage :
       {std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), std::string("\x0a\x7f", 2),
        std::string("\x07garbage"), std::string("\x00\x00\x00", 3), std::string("\x0b")}) {
    for (google::protobuf::Message* message :
         std::vector<google::protobuf::Message*>{new v1::ScreenRequest, new v1::GetSnapshotRequest,
                                                 new v1::WatchSnapshotsRequest, new v1::ExportAuditRequest}) {
      grpc::Status status = ParseRequest(Buffer(garbage), message);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << message->GetTypeName();
      EXPECT_EQ(status.error_message().rfind("the request is not a valid screening.v1." + message->GetTypeName().substr(13), 0), 0u)
          << status.error_message();
      delete message;
    }
  }
  EXPECT_EQ(DescribeMalformed(std::string("\x0a\x7f", 2), v1::ScreenRequest::descriptor()),
            "address has a length beyond the end of the message");
  EXPECT_EQ(DescribeMalformed(Field(1, std::string("\x0a\x05", 2)), v1::ScreenBatchRequest::descriptor()),
            "requests[0].address has a length beyond the end of the message");
  EXPECT_EQ(DescribeMalformed("\x07garbage", v1::ScreenRequest::descriptor()), "malformed wire format at byte 1");
}

TEST(KeyGatePeerTest, PeersAreCountedByAddressAndIpv6ByItsSlash64) {
  EXPECT_EQ(PeerHost("ipv4:127.0.0.1:54321"), "127.0.0.1");
  EXPECT_EQ(PeerHost("ipv6:[2001:db8:1:2:3:4:5:6]:443"), "2001:db8:1:2::/64");
  EXPECT_EQ(PeerHost("ipv6:[2001:db8:1:2:ffff::9]:443"), "2001:db8:1:2::/64");
  EXPECT_EQ(PeerHost("ipv6:[::1]:5"), "::/64");
  EXPECT_EQ(PeerHost("ipv6:[fe80::1%25eth0]:5"), "fe80::/64");
  EXPECT_EQ(PeerHost("unix:/run/screening.sock"), "unix:/run/screening.sock");
}

class ThrottledLogTest : public ::testing::Test {
 protected:
  ThrottledLog::Writer Collect() {
    return [this](ThrottledLog::Level, absl::string_view line) { lines_.emplace_back(line); };
  }
  std::vector<std::string> lines_;
  const absl::Time t0_ = absl::FromUnixSeconds(1'700'000'000);
};

TEST_F(ThrottledLogTest, AFloodIsOneLineThenOneSummaryPerInterval) {
  ThrottledLog log({absl::Seconds(10), 16}, Collect());
  for (int i = 0; i < 5000; ++i) {
    log.Event("peer 10.0.0.1", ThrottledLog::Level::kWarning, absl::StrCat("failure ", i), t0_ + absl::Milliseconds(i));
  }
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0], "failure 0");
  log.Flush(t0_ + absl::Seconds(9));
  EXPECT_EQ(lines_.size(), 1u) << "no summary before the interval is over";
  log.Flush(t0_ + absl::Seconds(10));
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1].rfind("failure 4999 [4999 events like this since the previous line", 0), 0u) << lines_[1];
  // Quiet for an interval: the key is forgotten, the next event is written at once.
  log.Flush(t0_ + absl::Seconds(20));
  EXPECT_EQ(lines_.size(), 2u);
  log.Event("peer 10.0.0.1", ThrottledLog::Level::kWarning, "again", t0_ + absl::Seconds(21));
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[2], "again");
  EXPECT_EQ(log.events(), 5001);
  EXPECT_EQ(log.lines(), 3);
}

TEST_F(ThrottledLogTest, AnEventAfterTheIntervalWritesTheSummaryAndItself) {
  ThrottledLog log({absl::Seconds(10), 16}, Collect());
  log.Event("k", ThrottledLog::Level::kInfo, "one", t0_);
  log.Event("k", ThrottledLog::Level::kInfo, "two", t0_ + absl::Seconds(1));
  log.Event("k", ThrottledLog::Level::kInfo, "three", t0_ + absl::Seconds(11));
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[1].rfind("two [1 event like this", 0), 0u) << lines_[1];
  EXPECT_EQ(lines_[2], "three");
}

TEST_F(ThrottledLogTest, KeysAreSeparateAndBounded) {
  ThrottledLog log({absl::Seconds(10), 4}, Collect());
  for (int peer = 0; peer < 100; ++peer) {
    for (int i = 0; i < 10; ++i) log.Event(absl::StrCat("peer ", peer), ThrottledLog::Level::kInfo, "x", t0_);
  }
  // Four keys of their own, then one overflow key for the other 96 peers.
  EXPECT_EQ(lines_.size(), 5u);
  EXPECT_NE(lines_[4].find("more sources than the log tracks"), std::string::npos) << lines_[4];
}

TEST_F(ThrottledLogTest, DestructionWritesWhatIsStillCounted) {
  {
    ThrottledLog log({absl::Seconds(10), 16}, Collect());
    for (int i = 0; i < 3; ++i) log.Event("k", ThrottledLog::Level::kError, "boom", t0_);
  }
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1].rfind("boom [2 events", 0), 0u) << lines_[1];
}

}  // namespace
}  // namespace screening::api
