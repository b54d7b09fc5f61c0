#include "collector/enrich/npm_package.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace flowtop::collector::enrich {
namespace {

constexpr size_t kBlock = 512;

// The string at `key` of a JSON object, or "".
std::string StringField(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end() ||
      it->second.kind_case() != google::protobuf::Value::kStringValue) {
    return "";
  }
  return it->second.string_value();
}

// One tar header's fields that matter here.
struct TarEntry {
  std::string name;  // prefix/name joined
  uint64_t size = 0;
  char type = 0;
};

// Parses an octal field; false when it holds anything else.
bool ParseOctal(const char* field, size_t width, uint64_t* out) {
  uint64_t value = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (value > (uint64_t{1} << 60)) return false;
    value = value * 8 + static_cast<uint64_t>(field[i] - '0');
  }
  for (; i < width; ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *out = value;
  return true;
}

absl::StatusOr<TarEntry> ParseHeader(const char* block) {
  TarEntry entry;
  std::string name(block, strnlen(block, 100));
  std::string prefix(block + 345, strnlen(block + 345, 155));
  entry.name = prefix.empty() ? name : absl::StrCat(prefix, "/", name);
  entry.type = block[156];
  if (!ParseOctal(block + 124, 12, &entry.size)) {
    return absl::DataLossError(absl::StrCat("bad size field for '", entry.name, "'"));
  }
  return entry;
}

// Reads exactly `n` bytes (or fails) from the gzip stream.
bool ReadFull(gzFile in, char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    const int got = gzread(in, buf + done, static_cast<unsigned>(n - done));
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

// Copies (or skips, when `out` is null) `size` bytes plus the padding to the
// next block boundary.
absl::Status CopyMember(gzFile in, uint64_t size, std::FILE* out) {
  char buf[64 * kBlock];
  uint64_t left = (size + kBlock - 1) / kBlock * kBlock;
  uint64_t data_left = size;
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, sizeof(buf)));
    if (!ReadFull(in, buf, n)) return absl::DataLossError("the archive ends inside a file");
    const size_t keep = static_cast<size_t>(std::min<uint64_t>(data_left, n));
    if (out != nullptr && keep > 0 && std::fwrite(buf, 1, keep, out) != keep) {
      return absl::InternalError(absl::StrCat("cannot write: ", strerror(errno)));
    }
    data_left -= keep;
    left -= n;
  }
  return absl::OkStatus();
}

// The file name below "package/" when `entry` is a wanted regular file.
std::string WantedName(const TarEntry& entry,
                       const std::function<bool(absl::string_view)>& wanted) {
  if (entry.type != '0' && entry.type != '\0') return "";
  if (!absl::StartsWith(entry.name, "package/")) return "";
  const std::string name = entry.name.substr(8);
  if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos) return "";
  return wanted(name) ? name : "";
}

}  // namespace

absl::StatusOr<NpmDist> ParseNpmVersionDocument(absl::string_view json) {
  google::protobuf::Struct document;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &document, options)
           .ok()) {
    return absl::InvalidArgumentError("the registry's answer is not a JSON object");
  }
  NpmDist dist;
  dist.version = StringField(document, "version");
  auto it = document.fields().find("dist");
  if (it == document.fields().end() ||
      it->second.kind_case() != google::protobuf::Value::kStructValue) {
    return absl::InvalidArgumentError("the registry's answer has no \"dist\" object");
  }
  dist.tarball = StringField(it->second.struct_value(), "tarball");
  dist.integrity = StringField(it->second.struct_value(), "integrity");
  if (!absl::StartsWith(dist.tarball, "https://") &&
      !absl::StartsWith(dist.tarball, "http://")) {
    return absl::InvalidArgumentError("the registry's answer names no http(s) dist.tarball");
  }
  if (!absl::StartsWith(dist.integrity, "sha512-")) {
    return absl::InvalidArgumentError(
        "the registry's answer has no sha512 dist.integrity to check the tarball with");
  }
  return dist;
}

absl::Status CheckNpmIntegrity(const std::string& path, absl::string_view integrity) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"),
                                                     std::fclose);
  if (in == nullptr) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) != 1) {
    return absl::InternalError("OpenSSL cannot compute sha512");
  }
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), in.get())) > 0) {
    EVP_DigestUpdate(ctx.get(), buf, n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  const std::string actual = absl::StrCat(
      "sha512-", absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(digest), length)));
  if (actual != integrity) {
    return absl::DataLossError(absl::StrCat("the tarball's digest is ", actual,
                                            ", the registry says ", integrity));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ExtractNpmTarball(
    const std::string& tgz, const std::string& dir,
    const std::function<bool(absl::string_view)>& wanted, uint64_t max_bytes) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> in(gzopen(tgz.c_str(), "rb"), gzclose);
  if (in == nullptr) return absl::NotFoundError(absl::StrCat("cannot read ", tgz));
  std::vector<std::string> extracted;
  uint64_t unpacked = 0;
  char block[kBlock];
  while (true) {
    if (!ReadFull(in.get(), block, kBlock)) {
      return absl::DataLossError("the archive ends without its end marker");
    }
    if (std::all_of(block, block + kBlock, [](char c) { return c == '\0'; })) break;
    absl::StatusOr<TarEntry> entry = ParseHeader(block);
    if (!entry.ok()) return entry.status();
    unpacked += kBlock + entry->size;
    if (unpacked > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the package unpacks to more than ", max_bytes, " bytes"));
    }
    const std::string name = WantedName(*entry, wanted);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(nullptr, std::fclose);
    if (!name.empty()) {
      out.reset(std::fopen(absl::StrCat(dir, "/", name).c_str(), "wb"));
      if (out == nullptr) {
        return absl::PermissionDeniedError(
            absl::StrCat("cannot write ", dir, "/", name, ": ", strerror(errno)));
      }
    }
    if (absl::Status s = CopyMember(in.get(), entry->size, out.get()); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(entry->name, ": ", s.message()));
    }
    if (out != nullptr && std::fclose(out.release()) != 0) {
      return absl::InternalError(absl::StrCat("cannot write ", name, ": ", strerror(errno)));
    }
    if (!name.empty()) extracted.push_back(name);
  }
  return extracted;
}

}  // namespace flowtop::collector::enrich
