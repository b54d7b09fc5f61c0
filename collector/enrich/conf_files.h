// Where flowtop finds its configuration files (tcp.conf, udp.conf,
// geoip.conf): the user's config dir first, then the system's, then the
// source tree's conf/ (the README's run command starts flowtop from there).
#ifndef FLOWTOP_COLLECTOR_ENRICH_CONF_FILES_H_
#define FLOWTOP_COLLECTOR_ENRICH_CONF_FILES_H_

#include <string>
#include <vector>

namespace flowtop::collector::enrich {

// Returns $XDG_CONFIG_HOME/flowtop (or ~/.config/flowtop), /etc/flowtop and
// ./conf, in that order (environment read at call time).
std::vector<std::string> DefaultConfDirs();

// Returns the first readable `dir/name` over `dirs`, or "" when none is.
std::string FindConfFile(const std::string& name,
                         const std::vector<std::string>& dirs = DefaultConfDirs());

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_CONF_FILES_H_
