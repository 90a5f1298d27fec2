#include "api/screening_service.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "api/pooled_arena_allocator.h"
#include "api/wire_encoders.h"

namespace screening::api {

ScreeningServiceImpl::ScreeningServiceImpl(ServiceDeps deps)
    : deps_(std::move(deps)), recorder_(deps_.audit) {
  // The first arena block of a holder fits a typical call: one address, or a
  // batch of 1,000 clear addresses (the common size; the sizes measured:
  // bench/README.md, "Figures behind code comments"). The methods are raw:
  // Screen and ScreenBatch take holders from these allocators themselves.
  screen_allocator_ = std::make_unique<PooledArenaAllocator<v1::ScreenRequest, v1::ScreenResponse>>(8 * 1024);
  batch_allocator_ =
      std::make_unique<PooledArenaAllocator<v1::ScreenBatchRequest, v1::ScreenBatchResponse>>(1024 * 1024);
  if (const int methods = v1::ScreenRequest::descriptor()->file()->FindServiceByName("ScreeningService")->method_count();
      methods != 6) {
    spdlog::error("screening.v1.ScreeningService has {} methods but ScreeningServiceBase serves 6: add the new "
                  "ones to its chain (screening_service.h)",
                  methods);
  }
  wire_encoder_ = WireEncodersMatchSchema();
  if (!wire_encoder_) {
    spdlog::warn("ScreenResponse has fields the wire encoder does not know: ScreenBatch builds messages instead");
  }
}

}  // namespace screening::api
