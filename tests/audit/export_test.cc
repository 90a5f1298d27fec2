#include "audit/export.h"

#include <sstream>

#include "audit/audit_log.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::Entry;
using testing::FakeClock;
using testing::StoreTest;

// An independent RFC 4180 reader: rows of fields, CRLF or LF line ends.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // handled by '\n'
    } else if (c == '\n') {
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      field_started = false;
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(row.empty() && field.empty()) << "missing final line end";
  return rows;
}

const std::vector<std::string>& HostileReferences() {
  static const std::vector<std::string> refs = {
      "plain",
      "comma, separated",
      "say \"hi\"",
      "\"",
      "line1\nline2",
      "crlf\r\nend",
      " leading and trailing ",
      "unicode: \xf0\x9d\x94\x98\xc3\xb1\xc3\xad\xc2\xa9 \xe2\x80\x94 \xe4\xb8\xad\xe6\x96\x87",
      "js line sep \xe2\x80\xa8 and \xe2\x80\xa9",
      "=HYPERLINK(\"http://x\")",
      "back\\slash \\\" \t tab \x01 ctl \x7f" " del",
      "",
  };
  return refs;
}

class ExportTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    AuditLog::Options options;
    options.clock = clock_.Fn();
    auto log = db().Open(options);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    for (size_t i = 0; i < HostileReferences().size(); ++i) {
      AuditEntry e = Entry(i % 3 == 0 ? Verdict::kMatch : Verdict::kClear, HostileReferences()[i],
                           i % 3 == 0 ? std::vector<int64_t>{static_cast<int64_t>(i), 1000} : std::vector<int64_t>{});
      e.request_id = "req," + std::to_string(i);
      ASSERT_TRUE(log_->Append(e).ok());
      clock_.now += absl::Seconds(1);
    }
    ASSERT_TRUE(log_->Flush().ok());
    ASSERT_TRUE(log_->Scan(absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
      stored_.push_back(r);
      return absl::OkStatus();
    }).ok());
    ASSERT_EQ(stored_.size(), HostileReferences().size());
  }

  FakeClock clock_;
  std::unique_ptr<AuditLog> log_;
  std::vector<AuditRecord> stored_;
};
AUDIT_BACKEND_TEST_SUITE(ExportTest);

TEST_P(ExportTest, CsvRoundTripsHostileFieldsAndHashesRecompute) {
  std::ostringstream out;
  absl::StatusOr<int64_t> count =
      log_->Export(absl::InfinitePast(), absl::InfiniteFuture(), ExportFormat::kCsv, out);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, static_cast<int64_t>(stored_.size()));
  auto rows = ParseCsv(out.str());
  ASSERT_EQ(rows.size(), stored_.size() + 1);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"sequence", "time", "key_id", "reference", "request_id",
                                               "normalized_address", "chain", "verdict", "matched_listing_ids",
                                               "snapshot_id", "previous_hash", "record_hash"}));
  for (size_t i = 0; i < stored_.size(); ++i) {
    const std::vector<std::string>& row = rows[i + 1];
    ASSERT_EQ(row.size(), 12u) << "row " << i;
    EXPECT_EQ(row[0], std::to_string(i + 1));
    EXPECT_EQ(row[3], HostileReferences()[i]);
    EXPECT_EQ(row[4], "req," + std::to_string(i));
    EXPECT_EQ(row[1], FormatAuditTime(stored_[i].time));
    // An auditor can recompute the chain from the export alone.
    AuditRecord r;
    r.sequence = std::stoll(row[0]);
    ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", row[1], &r.time, nullptr));
    r.key_id = row[2];
    r.reference = row[3];
    r.request_id = row[4];
    r.normalized_address = row[5];
    r.chain = row[6];
    std::optional<Verdict> verdict = model::ParseVerdict(row[7]);
    ASSERT_TRUE(verdict.has_value()) << row[7];
    r.verdict = *verdict;
    r.snapshot_id = row[9];
    r.previous_hash = row[10];
    EXPECT_EQ(ComputeRecordHash(r, row[8]), row[11]) << "row " << i;
    if (i > 0) {
      EXPECT_EQ(row[10], rows[i][11]);
    }
  }
  EXPECT_EQ(rows[1][8], "0,1000");
}

TEST_P(ExportTest, JsonLinesAreValidJsonWithExactValues) {
  std::ostringstream out;
  absl::StatusOr<int64_t> count =
      log_->Export(absl::InfinitePast(), absl::InfiniteFuture(), ExportFormat::kJsonLines, out);
  ASSERT_TRUE(count.ok()) << count.status();
  std::istringstream lines(out.str());
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, stored_.size());
    EXPECT_EQ(line.find('\r'), std::string::npos);
    google::protobuf::Struct parsed;
    auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
    ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << line;
    const auto& f = parsed.fields();
    EXPECT_EQ(f.at("sequence").number_value(), static_cast<double>(i + 1));
    EXPECT_EQ(f.at("reference").string_value(), HostileReferences()[i]);
    EXPECT_EQ(f.at("request_id").string_value(), "req," + std::to_string(i));
    EXPECT_EQ(f.at("time").string_value(), FormatAuditTime(stored_[i].time));
    EXPECT_EQ(f.at("verdict").string_value(), model::VerdictName(stored_[i].verdict));
    EXPECT_EQ(f.at("record_hash").string_value(), stored_[i].record_hash);
    EXPECT_EQ(f.at("previous_hash").string_value(), stored_[i].previous_hash);
    const auto& ids = f.at("matched_listing_ids").list_value().values();
    ASSERT_EQ(static_cast<size_t>(ids.size()), stored_[i].matched_listing_ids.size());
    for (int k = 0; k < ids.size(); ++k) {
      EXPECT_EQ(ids[k].number_value(), static_cast<double>(stored_[i].matched_listing_ids[k]));
    }
    ++i;
  }
  EXPECT_EQ(i, stored_.size());
}

TEST_P(ExportTest, RangeIsHalfOpenAndOldestFirst) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  std::ostringstream out;
  absl::StatusOr<int64_t> count =
      log_->Export(t0 + absl::Seconds(3), t0 + absl::Seconds(6), ExportFormat::kCsv, out);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 3);
  auto rows = ParseCsv(out.str());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1][0], "4");
  EXPECT_EQ(rows[2][0], "5");
  EXPECT_EQ(rows[3][0], "6");

  std::ostringstream empty;
  count = log_->Export(t0 + absl::Hours(1), absl::InfiniteFuture(), ExportFormat::kJsonLines, empty);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
  EXPECT_EQ(empty.str(), "");
  std::ostringstream header_only;
  count = log_->Export(t0 + absl::Hours(1), absl::InfiniteFuture(), ExportFormat::kCsv, header_only);
  EXPECT_EQ(ParseCsv(header_only.str()).size(), 1u);
}

TEST_P(ExportTest, WriteErrorIsReported) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  auto count = log_->Export(absl::InfinitePast(), absl::InfiniteFuture(), ExportFormat::kJsonLines, out);
  EXPECT_TRUE(absl::IsDataLoss(count.status())) << count.status();
}

}  // namespace
}  // namespace screening::audit
