#include "service/protobuf_log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"

namespace flowtop::service {

std::string LogBudget::Admit(absl::string_view line) {
  absl::MutexLock lock(&mu_);
  ++seen_;
  if (seen_ <= kFreeLines) return absl::StrCat(line, "\n");
  if (seen_ < next_summary_) return "";
  next_summary_ *= 10;
  return absl::StrCat("flowtopd: ", seen_ - kFreeLines,
                      " more protobuf log lines not shown (", seen_,
                      " in all; only the first ", kFreeLines,
                      " are written, then a count)\n");
}

namespace {

LogBudget& ProcessBudget() {
  static LogBudget* budget = new LogBudget;
  return *budget;
}

const char* LevelName(google::protobuf::LogLevel level) {
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      return "INFO";
    case google::protobuf::LOGLEVEL_WARNING:
      return "WARNING";
    case google::protobuf::LOGLEVEL_ERROR:
      return "ERROR";
    case google::protobuf::LOGLEVEL_FATAL:
      return "FATAL";
  }
  return "LOG";
}

void WriteWithinBudget(google::protobuf::LogLevel level, const char* filename,
                       int line, const std::string& message) {
  const std::string text = ProcessBudget().Admit(absl::StrCat(
      "[libprotobuf ", LevelName(level), " ", filename, ":", line, "] ",
      message));
  if (!text.empty()) std::fputs(text.c_str(), stderr);
}

}  // namespace

void BoundProtobufLog() { google::protobuf::SetLogHandler(&WriteWithinBudget); }

}  // namespace flowtop::service
