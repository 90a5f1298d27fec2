#include "admin.h"

#include <iostream>
#include <regex>

#include "exit_codes.h"
#include "format.h"
#include "screening/v1/admin.grpc.pb.h"

namespace screening::cli {
namespace {

using screening::v1::AdminService;

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : Printable(text);
}

std::string Pad(std::string text, std::size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text;
}

}  // namespace

bool IsRfc3339(const std::string& text) {
  static const std::regex kPattern(
      R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d))");
  return std::regex_match(text, kPattern);
}

int RunReload(const Connection& connection, bool force, bool json) {
  auto stub = AdminService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  screening::v1::ReloadRequest request;
  request.set_force(force);
  screening::v1::ReloadResponse response;
  const grpc::Status status = stub->Reload(&context, request, &response);
  if (!status.ok()) return connection.ReportFailure(status, "Reload");
  if (json) {
    std::cout << MessageToJson(response) << "\n";
    return kExitClear;
  }
  if (response.changed()) {
    std::cout << "Reloaded: now serving snapshot "
              << OrDash(response.snapshot_id()) << " ("
              << response.added_count() << " added, "
              << response.removed_count() << " removed)\n";
  } else {
    std::cout << "Sources unchanged: still serving snapshot "
              << OrDash(response.snapshot_id()) << "\n";
  }
  for (const std::string& warning : response.warnings()) {
    std::cout << "warning: " << Printable(warning) << "\n";
  }
  return kExitClear;
}

int RunKeysCreate(const Connection& connection, const std::string& name,
                  const std::string& role, const std::string& expires_at,
                  bool json) {
  auto stub = AdminService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  screening::v1::CreateApiKeyRequest request;
  request.set_name(name);
  request.set_role(role == "admin" ? screening::v1::ROLE_ADMIN
                                   : screening::v1::ROLE_SCREEN);
  request.set_expires_at(expires_at);
  screening::v1::CreateApiKeyResponse response;
  const grpc::Status status = stub->CreateApiKey(&context, request, &response);
  if (!status.ok()) return connection.ReportFailure(status, "CreateApiKey");
  if (json) {
    std::cout << MessageToJson(response) << "\n";
  } else {
    std::cout << "Key id: " << Printable(response.key_id()) << "\n"
              << "Name:   " << Printable(name) << "\n"
              << "Role:   " << role << "\n"
              << "Expires: " << (expires_at.empty() ? "never" : expires_at)
              << "\n"
              << "Secret: " << Printable(response.secret()) << "\n";
  }
  std::cout.flush();
  std::cerr << "WARNING: the secret is shown only this once. The server "
               "stores only its hash and cannot show it again; put it in "
               "your secret store now.\n";
  return kExitClear;
}

int RunKeysRevoke(const Connection& connection, const std::string& key_id) {
  auto stub = AdminService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  screening::v1::RevokeApiKeyRequest request;
  request.set_key_id(key_id);
  screening::v1::RevokeApiKeyResponse response;
  const grpc::Status status = stub->RevokeApiKey(&context, request, &response);
  if (!status.ok()) return connection.ReportFailure(status, "RevokeApiKey");
  std::cout << "Revoked key " << Printable(key_id) << "\n";
  return kExitClear;
}

int RunKeysList(const Connection& connection, bool json) {
  auto stub = AdminService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  screening::v1::ListApiKeysResponse response;
  const grpc::Status status = stub->ListApiKeys(
      &context, screening::v1::ListApiKeysRequest(), &response);
  if (!status.ok()) return connection.ReportFailure(status, "ListApiKeys");
  if (json) {
    std::cout << MessageToJson(response) << "\n";
    return kExitClear;
  }
  std::cout << Pad("KEY_ID", 24) << " " << Pad("NAME", 24) << " "
            << Pad("ROLE", 7) << " " << Pad("CREATED", 21) << " "
            << Pad("EXPIRES", 21) << " REVOKED\n";
  for (const screening::v1::ApiKeyInfo& key : response.keys()) {
    std::cout << Pad(OrDash(key.key_id()), 24) << " "
              << Pad(OrDash(key.name()), 24) << " "
              << Pad(RoleName(key.role()), 7) << " "
              << Pad(OrDash(key.created_at()), 21) << " "
              << Pad(key.expires_at().empty() ? "never"
                                              : Printable(key.expires_at()),
                     21)
              << " " << OrDash(key.revoked_at()) << "\n";
  }
  std::cout << response.keys_size()
            << (response.keys_size() == 1 ? " key\n" : " keys\n");
  return kExitClear;
}

int RunAuditVerify(const Connection& connection, bool json) {
  auto stub = AdminService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  screening::v1::VerifyAuditResponse response;
  const grpc::Status status = stub->VerifyAudit(
      &context, screening::v1::VerifyAuditRequest(), &response);
  if (!status.ok()) return connection.ReportFailure(status, "VerifyAudit");
  if (json) {
    std::cout << MessageToJson(response) << "\n";
  } else if (response.ok()) {
    std::cout << "Audit chain intact: " << response.records_checked()
              << " records checked\n";
  } else {
    std::cout << "AUDIT CHAIN BROKEN at record "
              << response.first_bad_sequence() << ": "
              << OrDash(response.problem()) << " ("
              << response.records_checked() << " records checked)\n";
  }
  return response.ok() ? kExitClear : kExitMatch;
}

int RunAuditExport(const Connection& connection, const std::string& from_time,
                   const std::string& to_time, const std::string& format) {
  // An export may be long: no deadline on the stream, but the server must be
  // reachable within --timeout.
  if (grpc::Status connected = connection.WaitForConnected(); !connected.ok()) {
    return connection.ReportFailure(connected, "ExportAudit");
  }
  auto stub = AdminService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/false);
  screening::v1::ExportAuditRequest request;
  request.set_from_time(from_time);
  request.set_to_time(to_time);
  auto stream = stub->ExportAudit(&context, request);
  const bool csv = format == "csv";
  if (csv) {
    std::cout << "sequence,time,key_id,reference,request_id,"
                 "normalized_address,chain,verdict,matched_listing_ids,"
                 "snapshot_id,previous_hash,record_hash\n";
  }
  screening::v1::ExportAuditResponse response;
  while (stream->Read(&response)) {
    const screening::v1::AuditRecord& r = response.record();
    if (!csv) {
      std::cout << MessageToJson(r) << "\n";
      continue;
    }
    std::string ids;
    for (int i = 0; i < r.matched_listing_ids_size(); ++i) {
      if (i > 0) ids += ';';
      ids += std::to_string(r.matched_listing_ids(i));
    }
    std::cout << r.sequence() << ',' << CsvField(r.time()) << ','
              << CsvField(r.key_id()) << ',' << CsvField(r.reference()) << ','
              << CsvField(r.request_id()) << ','
              << CsvField(r.normalized_address()) << ',' << CsvField(r.chain())
              << ',' << CsvField(r.verdict()) << ',' << ids << ','
              << CsvField(r.snapshot_id()) << ',' << CsvField(r.previous_hash())
              << ',' << CsvField(r.record_hash()) << "\n";
  }
  std::cout.flush();
  const grpc::Status status = stream->Finish();
  if (!status.ok()) {
    connection.ReportFailure(status, "ExportAudit");
    std::cerr << "the export above is incomplete\n";
    return ExitCodeForStatus(status);
  }
  return kExitClear;
}

}  // namespace screening::cli
