// Test fixtures for enrichment: small .mmdb files written at test time by
// Debian's libmaxmind-db-writer-perl (tests/enrich/testing/write_mmdb.pl), and small
// file helpers.
#ifndef FLOWTOP_TESTS_ENRICH_FIXTURES_H_
#define FLOWTOP_TESTS_ENRICH_FIXTURES_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowtop::testing {

// Writes a database in `layout` ("maxmind-city", "dbip-city-v4",
// "dbip-city-v6", "asn") to `path`. Returns the path, or INTERNAL with the
// writer's exit status (e.g. libmaxmind-db-writer-perl not installed).
absl::StatusOr<std::string> WriteMmdb(const std::string& layout,
                                      const std::string& path);

// Returns a fresh directory under TEST_TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& name);

// Writes `contents` to `path`; returns false on failure.
bool WriteFile(const std::string& path, const std::string& contents);
// Returns the contents of `path` ("" when unreadable).
std::string ReadFile(const std::string& path);

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_ENRICH_FIXTURES_H_
