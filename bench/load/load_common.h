// Small helpers shared by the echo server and the load generator.
#ifndef SCREENING_BENCH_LOAD_LOAD_COMMON_H_
#define SCREENING_BENCH_LOAD_LOAD_COMMON_H_

#include <string>

namespace screening::bench {

// True when `target` ("host:port") names this machine's loopback only:
// 127.0.0.0/8, "localhost" or "[::1]", with a port in 1..65535. Load is never
// sent anywhere else.
bool IsLoopbackTarget(const std::string& target);

// Pins the calling thread (and every thread it creates afterwards, which
// inherit the mask) to CPU `cpu`. Call it before gRPC starts any thread.
// Returns false with `error` set when the kernel refuses.
bool PinToCpu(int cpu, std::string* error);

}  // namespace screening::bench

#endif  // SCREENING_BENCH_LOAD_LOAD_COMMON_H_
