#include "fake_service.h"

#include <algorithm>
#include <thread>

namespace screening::cli_test {

using screening::v1::ScreenRequest;
using screening::v1::ScreenResponse;

namespace {

std::string StatusName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    default: return "UNKNOWN";
  }
}

void AddMatch(ScreenResponse* response, const std::string& list_id,
              screening::v1::ListKind kind, const std::string& entity,
              const std::string& entity_id, const std::string& program) {
  screening::v1::Match* m = response->add_matches();
  m->set_list_id(list_id);
  m->set_list_kind(kind);
  m->set_entity_name(entity);
  m->set_entity_id(entity_id);
  if (!program.empty()) m->add_programs(program);
  m->set_asset("ETH");
  m->set_listed_address(response->normalized_address());
  m->set_source(list_id == "OFAC-SDN" ? "sdn.csv" : "FBI PSA 2023-08-22");
  m->set_published(list_id == "OFAC-SDN" ? "2022-04-14" : "2023-08-22");
  m->set_listed_chain("EVM");
  m->set_listing_id(response->matches_size());
  m->set_source_id(list_id == "OFAC-SDN" ? "ofac-sdn" : "fbi-dprk");
}

}  // namespace

grpc::Status DefaultScreen(const ScreenRequest& request,
                           ScreenResponse* response) {
  const std::string& address = request.address();
  if (address.size() > 256) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "address longer than 256 characters");
  }
  response->set_address(address);
  response->set_reference(request.reference());
  response->set_snapshot_id("snap-1");
  response->set_snapshot_published("2024-05-01");
  response->set_chain(request.chain().empty() ? "ETH" : request.chain());
  if (address.rfind("invalid", 0) == 0 ||
      address.find('\0') != std::string::npos) {
    response->set_verdict(screening::v1::VERDICT_INVALID_ADDRESS);
    response->set_reason("not a valid address for any known chain");
    response->clear_chain();
    return grpc::Status::OK;
  }
  response->set_normalized_address(address);
  response->add_candidate_chains("ETH");
  response->add_candidate_chains("BSC");
  if (address.rfind("0xbad", 0) == 0) {
    response->set_verdict(screening::v1::VERDICT_MATCH);
    AddMatch(response, "OFAC-SDN", screening::v1::LIST_KIND_SANCTIONS,
             "LAZARUS GROUP", "23254", "DPRK3");
    AddMatch(response, "FBI-DPRK", screening::v1::LIST_KIND_ATTRIBUTION,
             "TraderTraitor", "", "");
    return grpc::Status::OK;
  }
  response->set_verdict(screening::v1::VERDICT_CLEAR);
  return grpc::Status::OK;
}

class FakeServer::Screening final
    : public screening::v1::ScreeningService::Service {
 public:
  explicit Screening(FakeServer* fake) : fake_(fake) {}

  grpc::Status Screen(grpc::ServerContext* context, const ScreenRequest* request,
                      ScreenResponse* response) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    fake_->RecordScreen(*request);
    return fake_->screen(*request, response);
  }

  grpc::Status ScreenBatch(grpc::ServerContext* context,
                           const screening::v1::ScreenBatchRequest* request,
                           screening::v1::ScreenBatchResponse* response) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(fake_->mutex());
      fake_->mutable_recorded().batch_sizes.push_back(request->requests_size());
    }
    for (const ScreenRequest& r : request->requests()) {
      fake_->RecordScreen(r);
      ScreenResponse* result = response->add_results();
      grpc::Status s = fake_->screen(r, result);
      if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        // As the real server: the entry is refused on its own.
        result->Clear();
        result->set_reference(r.reference());
        result->set_reason(s.error_message());
        screening::v1::ScreenBatchError* error = response->add_errors();
        error->set_index(response->results_size() - 1);
        error->mutable_error()->set_code("INVALID_ARGUMENT");
        error->mutable_error()->set_message(s.error_message());
        continue;
      }
      if (!s.ok()) return s;
    }
    response->set_snapshot_id("snap-1");
    return grpc::Status::OK;
  }

  grpc::Status ScreenStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<screening::v1::ScreenStreamResponse,
                               screening::v1::ScreenStreamRequest>* stream)
      override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    std::vector<screening::v1::ScreenStreamResponse> held;
    screening::v1::ScreenStreamRequest request;
    while (stream->Read(&request)) {
      fake_->RecordScreen(request.request());
      if (fake_->stream_never_answers) continue;
      screening::v1::ScreenStreamResponse response;
      response.set_reference(request.request().reference());
      ScreenResponse result;
      grpc::Status s = fake_->screen(request.request(), &result);
      if (s.ok()) {
        *response.mutable_result() = result;
      } else {
        response.mutable_error()->set_code(StatusName(s.error_code()));
        response.mutable_error()->set_message(s.error_message());
      }
      if (fake_->stream_answers_reversed) {
        held.push_back(response);
      } else {
        stream->Write(response);
      }
    }
    if (fake_->stream_never_answers) {
      // Hold the stream open, silent, until the client gives up on it.
      while (!context->IsCancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return grpc::Status(grpc::StatusCode::CANCELLED, "client gave up");
    }
    std::reverse(held.begin(), held.end());
    for (const auto& response : held) stream->Write(response);
    return grpc::Status::OK;
  }

  grpc::Status GetSnapshot(grpc::ServerContext* context,
                           const screening::v1::GetSnapshotRequest*,
                           screening::v1::GetSnapshotResponse* response) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    *response = fake_->snapshot;
    return grpc::Status::OK;
  }

  grpc::Status WatchSnapshots(
      grpc::ServerContext* context,
      const screening::v1::WatchSnapshotsRequest* request,
      grpc::ServerWriter<screening::v1::WatchSnapshotsResponse>* writer)
      override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(fake_->mutex());
      fake_->mutable_recorded().watch_since = request->since_snapshot_id();
    }
    for (const auto& diff : fake_->diffs) writer->Write(diff);
    return grpc::Status::OK;
  }

 private:
  FakeServer* fake_;
};

class FakeServer::Admin final : public screening::v1::AdminService::Service {
 public:
  explicit Admin(FakeServer* fake) : fake_(fake) {}

  grpc::Status Reload(grpc::ServerContext* context,
                      const screening::v1::ReloadRequest* request,
                      screening::v1::ReloadResponse* response) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(fake_->mutex());
    fake_->mutable_recorded().reload = *request;
    response->set_snapshot_id("snap-2");
    response->set_changed(true);
    response->set_added_count(3);
    response->set_removed_count(1);
    return grpc::Status::OK;
  }

  grpc::Status CreateApiKey(grpc::ServerContext* context,
                            const screening::v1::CreateApiKeyRequest* request,
                            screening::v1::CreateApiKeyResponse* response) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(fake_->mutex());
    fake_->mutable_recorded().create_key = *request;
    response->set_key_id("key-7");
    response->set_secret("sk_live_0123456789abcdef");
    return grpc::Status::OK;
  }

  grpc::Status RevokeApiKey(grpc::ServerContext* context,
                            const screening::v1::RevokeApiKeyRequest* request,
                            screening::v1::RevokeApiKeyResponse*) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    if (request->key_id() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such key");
    }
    std::lock_guard<std::mutex> lock(fake_->mutex());
    fake_->mutable_recorded().revoked_key = request->key_id();
    return grpc::Status::OK;
  }

  grpc::Status ListApiKeys(grpc::ServerContext* context,
                           const screening::v1::ListApiKeysRequest*,
                           screening::v1::ListApiKeysResponse* response) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    screening::v1::ApiKeyInfo* key = response->add_keys();
    key->set_key_id("key-7");
    key->set_name("exchange-deposits");
    key->set_role(screening::v1::ROLE_SCREEN);
    key->set_created_at("2024-05-01T10:00:00Z");
    return grpc::Status::OK;
  }

  grpc::Status VerifyAudit(grpc::ServerContext* context,
                           const screening::v1::VerifyAuditRequest*,
                           screening::v1::VerifyAuditResponse* response) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    *response = fake_->audit_verdict;
    return grpc::Status::OK;
  }

  grpc::Status ExportAudit(
      grpc::ServerContext* context, const screening::v1::ExportAuditRequest* request,
      grpc::ServerWriter<screening::v1::ExportAuditResponse>* writer) override {
    if (grpc::Status s = fake_->Begin(context); !s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(fake_->mutex());
      fake_->mutable_recorded().export_request = *request;
    }
    for (const auto& record : fake_->audit_records) {
      screening::v1::ExportAuditResponse response;
      *response.mutable_record() = record;
      writer->Write(response);
    }
    return grpc::Status::OK;
  }

 private:
  FakeServer* fake_;
};

FakeServer::FakeServer() : FakeServer(grpc::InsecureServerCredentials()) {}

FakeServer::FakeServer(std::shared_ptr<grpc::ServerCredentials> credentials)
    : screen(DefaultScreen),
      screening_(new Screening(this)),
      admin_(new Admin(this)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
  builder.RegisterService(screening_.get());
  builder.RegisterService(admin_.get());
  server_ = builder.BuildAndStart();
}

FakeServer::~FakeServer() {
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::seconds(1));
}

FakeServer::Recorded FakeServer::recorded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recorded_;
}

grpc::Status FakeServer::Begin(grpc::ServerContext* context) {
  std::string authorization;
  auto it = context->client_metadata().find("authorization");
  if (it != context->client_metadata().end()) {
    authorization.assign(it->second.data(), it->second.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  recorded_.authorization.push_back(authorization);
  return refuse_all;
}

void FakeServer::RecordScreen(const ScreenRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  recorded_.screened.push_back(request);
}

std::string UnusedTarget() {
  int port = 0;
  // A server needs one service to start; this one never answers anything.
  screening::v1::ScreeningService::Service unused_service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&unused_service);
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  server->Shutdown();
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace screening::cli_test
