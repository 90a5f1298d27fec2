#ifndef SCREENING_CLIENT_CHECK_H_
#define SCREENING_CLIENT_CHECK_H_

#include <cstddef>
#include <string>

#include "connection.h"

namespace screening::cli {

struct CheckOptions {
  std::string address;    // Single check: the address as given.
  std::string chain;      // Optional chain or asset hint.
  std::string reference;  // Single: the reference; --file: its prefix.
  std::string file;       // Non-empty: screen every line ("-" is stdin).
  bool json = false;
  bool batch = false;             // --file over ScreenBatch, not ScreenStream.
  std::size_t batch_size = 10000;  // Addresses per ScreenBatch call.
};

// `check ADDRESS`: one Screen call, printed for a person or as one JSON
// object. Returns the process exit code.
int RunCheck(const Connection& connection, const CheckOptions& options);

// `check --file F`: every line of F, screened over ScreenStream (or
// ScreenBatch), printed in input order with a summary. Returns the exit code.
int RunCheckFile(const Connection& connection, const CheckOptions& options);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_CHECK_H_
