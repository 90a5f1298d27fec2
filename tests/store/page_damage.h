// Damages a SQLite database file the way disks and careless copies do: bytes
// changed inside chosen b-tree pages, behind SQLite's back. Pages are found
// with SQLite's dbstat virtual table (Debian builds libsqlite3 with
// SQLITE_ENABLE_DBSTAT_VTAB). For the store's unit tests, the refresh tests
// and the reliability trials.
//
// Edit a file only while no connection has it open, or accept that a
// connection's page cache may still hold the undamaged page.
#ifndef SCREENING_TESTS_STORE_PAGE_DAMAGE_H_
#define SCREENING_TESTS_STORE_PAGE_DAMAGE_H_

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace screening::testing_damage {

struct PageInfo {
  int64_t page_size = 0;
  int64_t page_count = 0;
  std::vector<int64_t> pages;  // pages of the object asked for (1-based)
};

// The pages of b-tree `name` (a table or index) of `pagetype` ("leaf",
// "internal", "" for both); only the size and count when `name` is empty.
// page_size 0 when the file cannot be read.
inline PageInfo FindPages(const std::string& db_path, const std::string& name, const std::string& pagetype = "leaf") {
  PageInfo info;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return info;
  }
  sqlite3_busy_timeout(db, 5000);
  auto single = [db](const char* sql) -> int64_t {
    sqlite3_stmt* stmt = nullptr;
    int64_t value = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return value;
  };
  info.page_size = single("PRAGMA page_size");
  info.page_count = single("PRAGMA page_count");
  if (!name.empty()) {
    sqlite3_stmt* stmt = nullptr;
    const char* sql = "SELECT pageno FROM dbstat WHERE name = ?1 AND (?2 = '' OR pagetype = ?2) ORDER BY pageno";
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(stmt, 2, pagetype.c_str(), -1, SQLITE_TRANSIENT);
      while (sqlite3_step(stmt) == SQLITE_ROW) info.pages.push_back(sqlite3_column_int64(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return info;
}

inline std::string ReadPage(const std::string& path, int64_t page, int64_t page_size) {
  std::ifstream in(path, std::ios::binary);
  in.seekg((page - 1) * page_size);
  std::string bytes(static_cast<size_t>(page_size), '\0');
  in.read(bytes.data(), page_size);
  return in ? bytes : std::string();
}

inline bool WritePage(const std::string& path, int64_t page, int64_t page_size, const std::string& bytes) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp((page - 1) * page_size);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// Replaces the first occurrence of `from` inside `page` by `to` (same size).
// False when `from` is not in the page.
inline bool ReplaceInPage(const std::string& path, int64_t page, int64_t page_size, const std::string& from,
                          const std::string& to) {
  std::string bytes = ReadPage(path, page, page_size);
  size_t at = bytes.find(from);
  if (at == std::string::npos || from.size() != to.size()) return false;
  bytes.replace(at, to.size(), to);
  return WritePage(path, page, page_size, bytes);
}

// XORs random nonzero values into a run of `count` bytes at a random offset
// of `page` (any offset, header included: damage does not choose).
// Deterministic in `rng`.
inline bool XorRun(const std::string& path, int64_t page, int64_t page_size, int count, std::mt19937_64& rng) {
  std::string bytes = ReadPage(path, page, page_size);
  if (bytes.empty() || count > page_size) return false;
  std::uniform_int_distribution<int64_t> offset(0, page_size - count);
  std::uniform_int_distribution<int> value(1, 255);
  const int64_t start = offset(rng);
  for (int i = 0; i < count; ++i) bytes[start + i] = static_cast<char>(bytes[start + i] ^ value(rng));
  return WritePage(path, page, page_size, bytes);
}

// Like XorRun, but the run starts inside the bytes a b-tree page uses (its
// header and cell pointers, or its cell content area), not in the free gap
// between them, where damage changes nothing. For pages with little content
// (an interior page) random offsets mostly miss. Falls back to XorRun for a
// page that is not a b-tree page.
inline bool XorRunInUse(const std::string& path, int64_t page, int64_t page_size, int count, std::mt19937_64& rng) {
  std::string bytes = ReadPage(path, page, page_size);
  if (bytes.empty() || count > page_size) return false;
  const int64_t header = page == 1 ? 100 : 0;
  auto u8 = [&](int64_t at) { return static_cast<int64_t>(static_cast<unsigned char>(bytes[at])); };
  const int64_t type = u8(header);
  if (type != 2 && type != 5 && type != 10 && type != 13) return XorRun(path, page, page_size, count, rng);
  const int64_t header_size = (type == 2 || type == 5) ? 12 : 8;
  const int64_t cells = (u8(header + 3) << 8) | u8(header + 4);
  int64_t content = (u8(header + 5) << 8) | u8(header + 6);
  if (content == 0) content = 65536;
  const int64_t pointers_end = std::min(page_size, header + header_size + 2 * cells);
  std::vector<int64_t> starts;  // every offset of a used byte a full run fits after
  for (int64_t at = header; at < pointers_end; ++at) starts.push_back(at);
  for (int64_t at = std::min(content, page_size); at < page_size; ++at) starts.push_back(at);
  if (starts.empty()) return XorRun(path, page, page_size, count, rng);
  std::uniform_int_distribution<size_t> pick(0, starts.size() - 1);
  std::uniform_int_distribution<int> value(1, 255);
  const int64_t start = std::min(starts[pick(rng)], page_size - count);
  for (int i = 0; i < count; ++i) bytes[start + i] = static_cast<char>(bytes[start + i] ^ value(rng));
  return WritePage(path, page, page_size, bytes);
}

}  // namespace screening::testing_damage

#endif  // SCREENING_TESTS_STORE_PAGE_DAMAGE_H_
