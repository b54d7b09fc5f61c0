// Reading a whole file named on a command line or in a config file (PEM
// certificates, tokens, config files), with an error that names it.
#ifndef FLOWTOP_CORE_FILES_H_
#define FLOWTOP_CORE_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowtop::collector {

// Returns the file's contents, or NOT_FOUND / PERMISSION_DENIED naming it.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace flowtop::collector

#endif  // FLOWTOP_CORE_FILES_H_
