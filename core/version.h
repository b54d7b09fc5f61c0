// The version of every flowtop binary and the notices they print with it.
#ifndef FLOWTOP_COLLECTOR_VERSION_H_
#define FLOWTOP_COLLECTOR_VERSION_H_

namespace flowtop {

inline constexpr char kVersion[] = "0.1.0";

// DB-IP Lite databases are CC BY 4.0: the attribution must be shown.
inline constexpr char kGeoAttribution[] =
    "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0, when the DB-IP "
    "Lite databases are used.\n"
    "AS numbers and organisations from @ip-location-db/asn (RouteViews, "
    "DB-IP and NRO data), CC BY 4.0, when tools/fetch-geoip.sh installed it.";

}  // namespace flowtop

#endif  // FLOWTOP_COLLECTOR_VERSION_H_
