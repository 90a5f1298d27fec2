// Request and response messages on pooled protobuf arenas, for the hot
// methods (Screen, ScreenBatch): no per-field heap allocation or destructor
// walk per call.
#ifndef SCREENING_API_POOLED_ARENA_ALLOCATOR_H_
#define SCREENING_API_POOLED_ARENA_ALLOCATOR_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace screening::api {

// Hands gRPC request/response pairs allocated on a protobuf arena whose first
// block is a buffer owned by the holder, and keeps up to kMaxIdle holders for
// reuse. A call's messages (parsed request strings, every result, match and
// candidate chain) then cost bump-pointer allocations in memory already
// mapped, and the call's end frees them with one Arena::Reset instead of one
// free per field. Blocks beyond the first (a batch larger than planned) come
// from the heap and go back to it at Reset.
template <typename Request, typename Response>
class PooledArenaAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  // `first_block_bytes`: the arena memory kept per holder; size it for a
  // typical call so that no further block is needed.
  explicit PooledArenaAllocator(size_t first_block_bytes) : first_block_bytes_(first_block_bytes) {}

  ~PooledArenaAllocator() override {
    for (Holder* holder : idle_) delete holder;
  }

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    Holder* holder = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        holder = idle_.back();
        idle_.pop_back();
      }
    }
    if (holder == nullptr) holder = new Holder(this, first_block_bytes_);
    holder->CreateMessages();
    return holder;
  }

 private:
  static constexpr size_t kMaxIdle = 16;

  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder(PooledArenaAllocator* owner, size_t first_block_bytes)
        : owner_(owner), first_block_bytes_(first_block_bytes), first_block_(new char[first_block_bytes]) {}

    // Creates the messages on a new arena over the first block. Done here, on
    // the thread that will parse the request, because an arena gives its
    // first block to the thread that created it; other threads get blocks of
    // their own. (A new arena rather than Arena::Reset: with protobuf 3.21,
    // parses into an arena Reset over a user-owned first block failed.)
    void CreateMessages() {
      arena_.emplace(Options(first_block_.get(), first_block_bytes_));
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&*arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&*arena_));
    }

    // gRPC is done with both messages: free them and any block beyond the
    // first now, so an idle holder keeps only its first block.
    void Release() override {
      arena_.reset();
      owner_->Return(this);
    }

   private:
    static google::protobuf::ArenaOptions Options(char* block, size_t bytes) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = bytes;
      options.start_block_size = 64 * 1024;
      options.max_block_size = 1024 * 1024;
      return options;
    }

    PooledArenaAllocator* owner_;
    const size_t first_block_bytes_;
    std::unique_ptr<char[]> first_block_;
    std::optional<google::protobuf::Arena> arena_;  // destroyed before first_block_
  };

  void Return(Holder* holder) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.size() < kMaxIdle) {
        idle_.push_back(holder);
        return;
      }
    }
    delete holder;
  }

  const size_t first_block_bytes_;
  std::mutex mu_;
  std::vector<Holder*> idle_;
};


// A request/response pair from a pooled allocator, released at scope exit.
template <typename Request, typename Response>
struct HolderRelease {
  void operator()(grpc::MessageHolder<Request, Response>* holder) const { holder->Release(); }
};
template <typename Request, typename Response>
using PooledMessages = std::unique_ptr<grpc::MessageHolder<Request, Response>, HolderRelease<Request, Response>>;


}  // namespace screening::api

#endif  // SCREENING_API_POOLED_ARENA_ALLOCATOR_H_
