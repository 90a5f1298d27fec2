#ifndef SCREENING_CLIENT_HISTORY_H_
#define SCREENING_CLIENT_HISTORY_H_

#include <string>

#include "connection.h"

namespace screening::cli {

// `history ADDRESS [--chain]`: GetAddressHistory, one line per listing stay
// ("listed <date> in <snapshot>, delisted <date> in <snapshot>"), or one JSON
// object. Returns 1 when the serving snapshot lists the address, 0 when it
// does not (listed before or never), or the exit code of the failed call.
int RunHistory(const Connection& connection, const std::string& address, const std::string& chain, bool json);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_HISTORY_H_
