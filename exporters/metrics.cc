#include "exporters/metrics.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace flowtop::exporters {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class Writer {
 public:
  // Starts a metric family.
  void Family(const char* name, const char* type, const char* help) {
    name_ = name;
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                    type, "\n");
  }
  void Value(uint64_t v, const std::string& labels = "") {
    absl::StrAppend(&out_, name_, labels.empty() ? "" : "{", labels,
                    labels.empty() ? "" : "}", " ", v, "\n");
  }
  void One(const char* name, const char* type, const char* help, uint64_t v) {
    Family(name, type, help);
    Value(v);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;
};

std::string Label(const char* key, const std::string& value) {
  return absl::StrCat(key, "=\"", Escape(value), "\"");
}

void Node(Writer& w, const v1::NodeStatus& s) {
  w.Family("flowtop_build_info", "gauge", "flowtopd's version and node name.");
  w.Value(1, absl::StrCat(Label("version", s.version()), ",", Label("node", s.node())));
  w.One("flowtop_uptime_seconds", "gauge", "Seconds since flowtopd started.",
        static_cast<uint64_t>(s.uptime_seconds()));
  w.One("flowtop_events_total", "counter", "Flow events seen by the pipeline.",
        s.events_seen());
  w.Family("flowtop_events_lost_total", "counter",
           "Events lost, by where they were lost.");
  w.Value(s.lost().kernel(), Label("source", "kernel"));
  w.Value(s.lost().ring(), Label("source", "ring"));
  w.Value(s.lost().client(), Label("source", "client"));
  w.Value(s.lost().recording(), Label("source", "recording"));
  w.One("flowtop_resyncs_total", "counter",
        "Re-dumps of the kernel table after lost events.", s.resyncs());
  w.One("flowtop_ring_capacity_events", "gauge", "Events the ring holds.",
        s.ring_capacity());
  w.One("flowtop_ring_fill_events", "gauge", "Events in the ring now.", s.ring_fill());
  w.One("flowtop_clients", "gauge", "Connected GetFlows streams.", s.clients_connected());
  w.One("flowtop_flows", "gauge", "Flows in flowtopd's table.", s.flows());
  w.One("flowtop_conntrack_entries", "gauge",
        "Entries in the kernel's conntrack table.", s.conntrack_count());
  w.One("flowtop_conntrack_max", "gauge", "net.netfilter.nf_conntrack_max.",
        s.conntrack_max());
}

void Enrichment(Writer& w, const v1::NodeStatus& s) {
  if (!s.has_enrichment()) return;
  const v1::EnrichmentStatus& e = s.enrichment();
  w.One("flowtop_enrich_queued_total", "counter", "Flows queued for enrichment.",
        e.queued());
  w.One("flowtop_enrich_skipped_total", "counter",
        "Flows left unenriched because the queue was full.", e.skipped());
  w.One("flowtop_enrich_enriched_total", "counter",
        "ENRICH events with a process, GeoIP or service name.", e.enriched());
  w.One("flowtop_enrich_hostname_events_total", "counter",
        "ENRICH events with reverse DNS answers.", e.hostname_events());
  w.One("flowtop_enrich_stale_total", "counter",
        "Enrichment results dropped because their flow was gone.", e.stale());
}

void Ipfix(Writer& w, const v1::NodeStatus& s) {
  if (s.exports_size() == 0) return;
  struct Counter {
    const char* name;
    const char* help;
    uint64_t (v1::ExportStatus::*get)() const;
  };
  const Counter counters[] = {
      {"flowtop_ipfix_messages_total", "IPFIX messages sent.",
       &v1::ExportStatus::messages},
      {"flowtop_ipfix_records_total", "IPFIX flow records sent.",
       &v1::ExportStatus::records},
      {"flowtop_ipfix_octets_total", "Bytes of IPFIX messages sent.",
       &v1::ExportStatus::octets},
      {"flowtop_ipfix_not_sent_records_total",
       "Flow records not sent (socket error, collector down, queue full).",
       &v1::ExportStatus::not_sent_records},
      {"flowtop_ipfix_not_sent_packets_total",
       "Packets counted by records that were not sent.",
       &v1::ExportStatus::not_sent_packets},
      {"flowtop_ipfix_not_sent_octets_total",
       "Bytes counted by records that were not sent.",
       &v1::ExportStatus::not_sent_octets},
  };
  for (const Counter& c : counters) {
    w.Family(c.name, "counter", c.help);
    for (const v1::ExportStatus& e : s.exports()) {
      w.Value((e.*c.get)(), Label("collector", e.collector()));
    }
  }
}

void Kernel(Writer& w, const std::optional<KernelConntrackCounters>& k) {
  w.One("flowtop_conntrack_stats_up", "gauge",
        "1 when the kernel's conntrack statistics were read for this scrape.",
        k.has_value() ? 1 : 0);
  if (!k.has_value()) return;
  const struct {
    const char* name;
    const char* help;
    uint64_t value;
  } rows[] = {
      {"flowtop_conntrack_found_total", "Kernel: lookups that found an entry.", k->found},
      {"flowtop_conntrack_invalid_total", "Kernel: packets that could not be tracked.",
       k->invalid},
      {"flowtop_conntrack_insert_total", "Kernel: entries inserted.", k->insert},
      {"flowtop_conntrack_insert_failed_total",
       "Kernel: entries that could not be inserted (clash).", k->insert_failed},
      {"flowtop_conntrack_drop_total",
       "Kernel: packets dropped because an entry could not be made.", k->drop},
      {"flowtop_conntrack_early_drop_total",
       "Kernel: entries dropped to make room (table full).", k->early_drop},
      {"flowtop_conntrack_error_total", "Kernel: ICMP errors about untracked flows.",
       k->error},
      {"flowtop_conntrack_search_restart_total",
       "Kernel: lookups restarted by a table resize.", k->search_restart},
      {"flowtop_conntrack_clash_resolve_total", "Kernel: insert clashes resolved.",
       k->clash_resolve},
      {"flowtop_conntrack_chaintoolong_total",
       "Kernel: inserts refused for a too long hash chain.", k->chaintoolong},
  };
  for (const auto& r : rows) w.One(r.name, "counter", r.help, r.value);
}

}  // namespace

std::string RenderMetrics(const MetricsSnapshot& snapshot) {
  Writer w;
  Node(w, snapshot.status);
  w.Family("flowtop_flows_by_state", "gauge", "Live flows by protocol and state.");
  for (const FlowCount& c : snapshot.flows) {
    w.Value(c.flows,
            absl::StrCat(Label("protocol", c.protocol), ",", Label("state", c.state)));
  }
  Enrichment(w, snapshot.status);
  Ipfix(w, snapshot.status);
  Kernel(w, snapshot.kernel);
  return w.Take();
}

}  // namespace flowtop::exporters
