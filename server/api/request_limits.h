// The limit of every string field of every request message (screening.proto,
// admin.proto), and the checks that refuse a field over its limit.
//
// Each check answers OK or INVALID_ARGUMENT with a message that names the
// field, prefixed with its path for an entry of a batch or a stream message
// ("requests[3].chain is 4097 bytes long; the limit is 32"). No user text is
// echoed beyond a limit. The services call these before any work, so no
// oversized value reaches the core, the store or the audit log.
#ifndef SCREENING_API_REQUEST_LIMITS_H_
#define SCREENING_API_REQUEST_LIMITS_H_

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"

#include "api/audit_sink.h"
#include "screening/screener.h"
#include "screening/v1/admin.pb.h"
#include "screening/v1/screening.pb.h"

namespace screening::api {

// ScreenRequest / GetAddressHistoryRequest.address (and not blank).
inline constexpr size_t kMaxAddressBytes = screening::kMaxAddressBytes;
// ScreenRequest / GetAddressHistoryRequest.chain: twice the longest label the
// address layer knows.
inline constexpr size_t kMaxChainBytes = 32;
// ScreenRequest.reference is kMaxReferenceBytes (audit_sink.h).
// WatchSnapshotsRequest.since_snapshot_id: at most a snapshot id's length
// (64 hex characters, a SHA-256).
inline constexpr size_t kSnapshotIdChars = 64;
// ExportAuditRequest.from_time / to_time, CreateApiKeyRequest.expires_at.
inline constexpr size_t kMaxTimeBytes = 64;
// Largest ScreenBatch, or ScreenStream message with requests.
inline constexpr int kMaxBatchSize = 10000;

// Where a field sits in its request, for messages: "" (the request itself),
// "request." (a stream message's one address) or "requests[3].".
class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(absl::string_view repeated, int index = -1) : name_(repeated), index_(index) {}
  // The prefix of a field's name.
  std::string Prefix() const;

 private:
  absl::string_view name_;
  int index_ = -1;
};

// address (not blank, <= 256 bytes), chain (<= 32), reference (<= 256), in
// that order: the first that breaks its limit.
grpc::Status CheckScreenRequest(const v1::ScreenRequest& request, const FieldPath& path = FieldPath());
grpc::Status CheckHistoryRequest(const v1::GetAddressHistoryRequest& request);
grpc::Status CheckWatchRequest(const v1::WatchSnapshotsRequest& request);
// name: 1..200 bytes (no control characters: checked by the key store);
// expires_at <= 64 bytes.
grpc::Status CheckCreateApiKeyRequest(const v1::CreateApiKeyRequest& request);
// key_id: 16 lowercase hex characters.
grpc::Status CheckRevokeApiKeyRequest(const v1::RevokeApiKeyRequest& request);
// from_time, to_time <= 64 bytes each.
grpc::Status CheckExportAuditRequest(const v1::ExportAuditRequest& request);

// `text` for an error message: at most `max_bytes` (cut, with "..." when
// longer), every byte outside printable ASCII shown as \xNN.
std::string Quote(absl::string_view text, size_t max_bytes = 64);

}  // namespace screening::api

#endif  // SCREENING_API_REQUEST_LIMITS_H_
