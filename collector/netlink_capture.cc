#include "collector/netlink_capture.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/files.h"
#include "absl/strings/str_cat.h"

namespace flowtop::collector {

absl::StatusOr<std::vector<std::string>> ParseCapture(absl::string_view data) {
  const size_t magic_len = sizeof(kCaptureMagic) - 1;
  if (data.size() < magic_len || data.substr(0, magic_len) != kCaptureMagic) {
    return absl::DataLossError(
        "netlink capture: missing magic FTNLCAP1 (not a ctcapture file)");
  }
  std::vector<std::string> out;
  size_t pos = magic_len;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      return absl::DataLossError(
          absl::StrCat("netlink capture: truncated length at offset ", pos));
    }
    const auto* b = reinterpret_cast<const unsigned char*>(data.data() + pos);
    const uint32_t len =
        b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    pos += 4;
    if (data.size() - pos < len) {
      return absl::DataLossError(absl::StrCat("netlink capture: record of ",
                                              len, " bytes at offset ", pos - 4,
                                              " is truncated"));
    }
    out.emplace_back(data.substr(pos, len));
    pos += len;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadCaptureFile(
    const std::string& path) {
  absl::StatusOr<std::string> bytes = core::ReadBoundedFile(path, 256 << 20);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        absl::StrCat("netlink capture: ", bytes.status().message()));
  }
  return ParseCapture(*bytes);
}

absl::StatusOr<std::unique_ptr<CaptureWriter>> CaptureWriter::Create(
    const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  if (std::fwrite(kCaptureMagic, 1, sizeof(kCaptureMagic) - 1, f) !=
      sizeof(kCaptureMagic) - 1) {
    std::fclose(f);
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return std::unique_ptr<CaptureWriter>(new CaptureWriter(f));
}

CaptureWriter::~CaptureWriter() { Close().IgnoreError(); }

absl::Status CaptureWriter::Write(absl::string_view message) {
  if (f_ == nullptr) return absl::InternalError("capture writer is closed");
  const uint32_t len = static_cast<uint32_t>(message.size());
  const unsigned char hdr[4] = {static_cast<unsigned char>(len),
                                static_cast<unsigned char>(len >> 8),
                                static_cast<unsigned char>(len >> 16),
                                static_cast<unsigned char>(len >> 24)};
  if (std::fwrite(hdr, 1, 4, f_) != 4 ||
      std::fwrite(message.data(), 1, message.size(), f_) != message.size()) {
    return absl::InternalError(
        absl::StrCat("capture write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status CaptureWriter::Close() {
  if (f_ == nullptr) return absl::OkStatus();
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("capture close failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace flowtop::collector
