#include "load_common.h"

#include <arpa/inet.h>
#include <sched.h>

#include <cerrno>
#include <cstring>

namespace screening::bench {

bool IsLoopbackTarget(const std::string& target) {
  std::string host;
  std::string port;
  if (!target.empty() && target[0] == '[') {
    const size_t close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':') {
      return false;
    }
    host = target.substr(1, close - 1);
    port = target.substr(close + 2);
    if (host != "::1") return false;
  } else {
    const size_t colon = target.rfind(':');
    if (colon == std::string::npos) return false;
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
    if (host != "localhost") {
      in_addr addr{};
      if (inet_pton(AF_INET, host.c_str(), &addr) != 1) return false;
      if ((ntohl(addr.s_addr) >> 24) != 127) return false;
    }
  }
  if (port.empty() || port.size() > 5) return false;
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

bool PinToCpu(int cpu, std::string* error) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace screening::bench
