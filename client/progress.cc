#include "progress.h"

#include <unistd.h>

#include <iostream>

namespace screening::cli {

Progress::Progress() : enabled_(::isatty(STDERR_FILENO) == 1) {}

void Progress::Update(std::size_t screened, std::size_t matches,
                      std::size_t errors) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  drawn_ = true;
  std::cerr << "\r\033[Kscreened " << screened << " (" << matches
            << " match, " << errors << " error)" << std::flush;
}

void Progress::Clear() {
  if (!enabled_ || !drawn_) return;
  std::cerr << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace screening::cli
