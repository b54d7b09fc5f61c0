#include "collector/enrich/geoip.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/files.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/enrich/country_names.h"

namespace flowtop::collector::enrich {
namespace {

// Reads the value at `path` (NULL-terminated key list) as a string; "" when
// absent or not a string.
std::string GetString(MMDB_entry_s* entry, const char* const* path) {
  MMDB_entry_data_s data;
  if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return "";
  }
  return std::string(data.utf8_string, data.data_size);
}

// Reads a number of any MMDB numeric type; false when absent.
bool GetNumber(MMDB_entry_s* entry, const char* const* path, double* out) {
  MMDB_entry_data_s data;
  if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data) {
    return false;
  }
  switch (data.type) {
    case MMDB_DATA_TYPE_DOUBLE: *out = data.double_value; return true;
    case MMDB_DATA_TYPE_FLOAT: *out = data.float_value; return true;
    case MMDB_DATA_TYPE_UINT16: *out = data.uint16; return true;
    case MMDB_DATA_TYPE_UINT32: *out = data.uint32; return true;
    case MMDB_DATA_TYPE_INT32: *out = data.int32; return true;
    case MMDB_DATA_TYPE_UINT64: *out = static_cast<double>(data.uint64); return true;
    default: return false;
  }
}

void SetIfEmpty(std::string* field, std::string value) {
  if (field->empty() && !value.empty()) *field = std::move(value);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Returns the *.mmdb files of `dir`, sorted; none when it cannot be read.
std::vector<std::string> ListDatabases(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.' || !absl::EndsWith(name, ".mmdb")) continue;
    out.push_back(absl::StrCat(dir, "/", name));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string DefaultGeoIpDataDir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') return absl::StrCat(xdg, "/flowtop");
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    return absl::StrCat(home, "/.local/share/flowtop");
  }
  return "";
}

std::vector<std::string> DefaultGeoIpSearchPath() {
  std::vector<std::string> dirs = {"/usr/share/GeoIP", "/var/lib/GeoIP"};
  std::string data = DefaultGeoIpDataDir();
  if (!data.empty()) dirs.push_back(std::move(data));
  return dirs;
}

absl::StatusOr<std::unique_ptr<GeoDatabase>> GeoDatabase::Open(
    const std::string& path) {
  if (access(path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("GeoIP database ", path, " does not exist"));
  }
  if (access(path.c_str(), R_OK) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("GeoIP database ", path, " is not readable: ", strerror(errno)));
  }
  // libmaxminddb maps the file: it must be a regular one (a FIFO blocks).
  if (absl::Status s = core::CheckRegularFile(path); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("GeoIP database: ", s.message()));
  }
  auto db = std::unique_ptr<GeoDatabase>(new GeoDatabase());
  db->path_ = path;
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->mmdb_);
  if (status != MMDB_SUCCESS) {
    std::string why = MMDB_strerror(status);
    if (status == MMDB_IO_ERROR) why = absl::StrCat(why, ": ", strerror(errno));
    db->path_.clear();  // nothing to close
    return absl::DataLossError(
        absl::StrCat("GeoIP database ", path, " is unusable (", why, ")"));
  }
  return db;
}

GeoDatabase::~GeoDatabase() {
  if (!path_.empty()) MMDB_close(&mmdb_);
}

std::string GeoDatabase::database_type() const {
  const char* type = mmdb_.metadata.database_type;
  return type == nullptr ? "" : type;
}

int GeoDatabase::ip_version() const { return mmdb_.metadata.ip_version; }

bool GeoDatabase::asn_only() const {
  return absl::StrContains(absl::AsciiStrToUpper(database_type()), "ASN");
}

bool GeoDatabase::Lookup(absl::string_view ip, v1::Geo* geo) const {
  struct sockaddr_storage storage;
  std::memset(&storage, 0, sizeof(storage));
  if (ip.size() == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, ip.data(), 4);
  } else if (ip.size() == 16) {
    if (ip_version() == 4) return false;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, ip.data(), 16);
  } else {
    return false;
  }
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s result = MMDB_lookup_sockaddr(
      const_cast<MMDB_s*>(&mmdb_), reinterpret_cast<sockaddr*>(&storage), &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !result.found_entry) return false;
  MMDB_entry_s* entry = &result.entry;

  // MaxMind layout.
  static constexpr const char* kIso[] = {"country", "iso_code", nullptr};
  static constexpr const char* kRegIso[] = {"registered_country", "iso_code", nullptr};
  static constexpr const char* kCountry[] = {"country", "names", "en", nullptr};
  static constexpr const char* kCity[] = {"city", "names", "en", nullptr};
  static constexpr const char* kRegion[] = {"subdivisions", "0", "names", "en", nullptr};
  static constexpr const char* kLat[] = {"location", "latitude", nullptr};
  static constexpr const char* kLon[] = {"location", "longitude", nullptr};
  // DB-IP Lite flat layout.
  static constexpr const char* kFlatCode[] = {"country_code", nullptr};
  static constexpr const char* kFlatCity[] = {"city", nullptr};
  static constexpr const char* kFlatState[] = {"state1", nullptr};
  static constexpr const char* kFlatLat[] = {"latitude", nullptr};
  static constexpr const char* kFlatLon[] = {"longitude", nullptr};
  // ASN (both GeoLite2-ASN and ip-location-db's ASN files).
  static constexpr const char* kAsn[] = {"autonomous_system_number", nullptr};
  static constexpr const char* kAsOrg[] = {"autonomous_system_organization", nullptr};

  const bool had_coordinates = !geo->country_code().empty();
  std::string code = GetString(entry, kFlatCode);
  double lat = 0, lon = 0;
  bool has_coordinates = false;
  if (!code.empty()) {
    SetIfEmpty(geo->mutable_city(), GetString(entry, kFlatCity));
    SetIfEmpty(geo->mutable_region(), GetString(entry, kFlatState));
    has_coordinates = GetNumber(entry, kFlatLat, &lat) && GetNumber(entry, kFlatLon, &lon);
  } else {
    code = GetString(entry, kIso);
    if (code.empty()) code = GetString(entry, kRegIso);
    SetIfEmpty(geo->mutable_country(), GetString(entry, kCountry));
    SetIfEmpty(geo->mutable_city(), GetString(entry, kCity));
    SetIfEmpty(geo->mutable_region(), GetString(entry, kRegion));
    has_coordinates = GetNumber(entry, kLat, &lat) && GetNumber(entry, kLon, &lon);
  }
  if (!code.empty() && geo->country_code().empty()) {
    geo->set_country_code(code);
    SetIfEmpty(geo->mutable_country(), std::string(CountryName(code)));
  }
  // Coordinates belong to the database that gave the country.
  if (has_coordinates && !had_coordinates && geo->latitude() == 0 &&
      geo->longitude() == 0) {
    geo->set_latitude(lat);
    geo->set_longitude(lon);
  }
  double asn = 0;
  if (geo->as_number() == 0 && GetNumber(entry, kAsn, &asn)) {
    geo->set_as_number(static_cast<uint32_t>(asn));
  }
  SetIfEmpty(geo->mutable_as_organization(), GetString(entry, kAsOrg));
  return true;
}

std::unique_ptr<GeoIp> GeoIp::Open(const GeoIpOptions& options) {
  auto geo = std::unique_ptr<GeoIp>(new GeoIp());
  std::vector<std::string> candidates = options.files;
  std::vector<std::string> searched;
  for (const std::string& dir : options.dirs) {
    searched.push_back(dir);
    if (!IsDirectory(dir)) continue;
    for (std::string& path : ListDatabases(dir)) candidates.push_back(std::move(path));
  }
  std::vector<std::string> seen;
  for (const std::string& path : candidates) {
    if (std::find(seen.begin(), seen.end(), path) != seen.end()) continue;
    seen.push_back(path);
    absl::StatusOr<std::unique_ptr<GeoDatabase>> db = GeoDatabase::Open(path);
    if (!db.ok()) {
      geo->problems_.push_back(std::string(db.status().message()));
      continue;
    }
    geo->databases_.push_back(*std::move(db));
  }
  if (geo->databases_.empty()) {
    std::string why =
        geo->problems_.empty()
            ? absl::StrCat("no database in ", absl::StrJoin(searched, ", "))
            : absl::StrJoin(geo->problems_, "; ");
    geo->hint_ = absl::StrCat(
        "GeoIP off: ", why,
        ". Get the free DB-IP Lite databases with tools/fetch-geoip.sh or "
        "`flowtop --update`, or pass a .mmdb file.");
  }
  return geo;
}

v1::Geo GeoIp::Lookup(absl::string_view ip) const {
  v1::Geo geo;
  for (const auto& db : databases_) {
    if (db->asn_only() ? geo.as_number() != 0 : !geo.country_code().empty()) continue;
    db->Lookup(ip, &geo);
  }
  return geo;
}

std::vector<std::string> GeoIp::paths() const {
  std::vector<std::string> out;
  for (const auto& db : databases_) out.push_back(db->path());
  return out;
}

}  // namespace flowtop::collector::enrich
