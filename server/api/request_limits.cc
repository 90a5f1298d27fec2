#include "api/request_limits.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/api_keys.h"
#include "screening/screener.h"

namespace screening::api {
namespace {

grpc::Status Invalid(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

grpc::Status TooLong(const FieldPath& path, absl::string_view field, size_t bytes, size_t limit) {
  return Invalid(absl::StrCat(path.Prefix(), field, " is ", bytes, " bytes long; the limit is ", limit));
}

// The address rules of the core (not blank, <= 256 bytes) under `path`.
grpc::Status CheckAddress(const std::string& address, const FieldPath& path) {
  absl::Status input = screening::Screener::CheckInput(address);
  if (input.ok()) return grpc::Status::OK;
  // The core's message starts with the field name, "address".
  return Invalid(absl::StrCat(path.Prefix(), input.message()));
}

}  // namespace

std::string FieldPath::Prefix() const {
  if (name_.empty()) return "";
  if (index_ < 0) return absl::StrCat(name_, ".");
  return absl::StrCat(name_, "[", index_, "].");
}

std::string Quote(absl::string_view text, size_t max_bytes) {
  const bool cut = text.size() > max_bytes;
  std::string quoted = absl::CHexEscape(text.substr(0, cut ? max_bytes : text.size()));
  if (cut) quoted += "...";
  return quoted;
}

grpc::Status CheckScreenRequest(const v1::ScreenRequest& request, const FieldPath& path) {
  // The common case costs three comparisons and a trim.
  if (grpc::Status address = CheckAddress(request.address(), path); !address.ok()) return address;
  if (request.chain().size() > kMaxChainBytes) {
    return TooLong(path, "chain", request.chain().size(), kMaxChainBytes);
  }
  if (request.reference().size() > kMaxReferenceBytes) {
    return TooLong(path, "reference", request.reference().size(), kMaxReferenceBytes);
  }
  return grpc::Status::OK;
}

grpc::Status CheckHistoryRequest(const v1::GetAddressHistoryRequest& request) {
  if (grpc::Status address = CheckAddress(request.address(), FieldPath()); !address.ok()) return address;
  if (request.chain().size() > kMaxChainBytes) {
    return TooLong(FieldPath(), "chain", request.chain().size(), kMaxChainBytes);
  }
  return grpc::Status::OK;
}

grpc::Status CheckWatchRequest(const v1::WatchSnapshotsRequest& request) {
  // Any shorter string is looked up (NOT_FOUND when no snapshot has it).
  if (request.since_snapshot_id().size() <= kSnapshotIdChars) return grpc::Status::OK;
  return TooLong(FieldPath(), "since_snapshot_id", request.since_snapshot_id().size(), kSnapshotIdChars);
}

grpc::Status CheckCreateApiKeyRequest(const v1::CreateApiKeyRequest& request) {
  if (request.name().empty()) return Invalid("name is empty");
  if (request.name().size() > auth::kMaxKeyNameBytes) {
    return TooLong(FieldPath(), "name", request.name().size(), auth::kMaxKeyNameBytes);
  }
  if (request.expires_at().size() > kMaxTimeBytes) {
    return TooLong(FieldPath(), "expires_at", request.expires_at().size(), kMaxTimeBytes);
  }
  return grpc::Status::OK;
}

grpc::Status CheckRevokeApiKeyRequest(const v1::RevokeApiKeyRequest& request) {
  if (auth::IsWellFormedKeyId(request.key_id())) return grpc::Status::OK;
  return Invalid(absl::StrCat("key_id '", Quote(request.key_id()), "' is not a key id (16 lowercase hex characters)"));
}

grpc::Status CheckExportAuditRequest(const v1::ExportAuditRequest& request) {
  if (request.from_time().size() > kMaxTimeBytes) {
    return TooLong(FieldPath(), "from_time", request.from_time().size(), kMaxTimeBytes);
  }
  if (request.to_time().size() > kMaxTimeBytes) {
    return TooLong(FieldPath(), "to_time", request.to_time().size(), kMaxTimeBytes);
  }
  return grpc::Status::OK;
}

}  // namespace screening::api
