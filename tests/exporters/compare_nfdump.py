#!/usr/bin/env python3
"""Checks that collectors stored what flowtopd's ListFlows showed.

usage: compare_nfdump.py FLOWS.txt NFDUMP.json [NFACCTD.csv]
FLOWS.txt is export_probe's `flows` output; only the test's own traffic is
compared (TCP to 8080 through the DNAT, UDP to 5353, ICMP). Each direction
of a flow is one IPFIX record stream: its packets and bytes summed over the
records must equal ListFlows' counters, and NAT flows must carry the
translated addresses (nfdump's *_xlt_* fields).
"""
import csv
import json
import sys


def load_flows(path):
    flows = []
    for line in open(path):
        p = line.split()
        if not p or p[0] != "flow":
            continue
        f = dict(id=int(p[1]), proto=int(p[2]), osrc=p[3], odst=p[4],
                 osport=int(p[5]), odport=int(p[6]), rsrc=p[7], rdst=p[8],
                 rsport=int(p[9]), rdport=int(p[10]), opkts=int(p[11]),
                 obytes=int(p[12]), rpkts=int(p[13]), rbytes=int(p[14]),
                 nat=p[15] == "1")
        if ((f["proto"] == 6 and f["odport"] == 8080) or
                (f["proto"] == 17 and f["odport"] == 5353) or f["proto"] == 1):
            flows.append(f)
    return flows


def matches(rec, proto, src, dst, sport, dport):
    if rec.get("proto") != proto:
        return False
    if rec.get("src4_addr") != src or rec.get("dst4_addr") != dst:
        return False
    if proto == 1:
        return True  # nfdump folds ICMP type/code into the ports
    return rec.get("src_port") == sport and rec.get("dst_port") == dport


def check_direction(errors, records, f, reply):
    k = "r" if reply else "o"
    src, dst = f[k + "src"], f[k + "dst"]
    sport, dport = f[k + "sport"], f[k + "dport"]
    mine = [r for r in records if matches(r, f["proto"], src, dst, sport, dport)]
    want_pkts, want_bytes = f[k + "pkts"], f[k + "bytes"]
    what = "flow %d %s %s:%d -> %s:%d" % (f["id"], "reply" if reply else "orig",
                                          src, sport, dst, dport)
    if want_pkts == 0:
        if reply and not mine:
            return 0
    if not mine:
        errors.append("%s: no nfdump record" % what)
        return 0
    pkts = sum(r.get("in_packets", 0) for r in mine)
    octets = sum(r.get("in_bytes", 0) for r in mine)
    if (pkts, octets) != (want_pkts, want_bytes):
        errors.append("%s: nfdump %d packets %d bytes, ListFlows %d/%d" %
                      (what, pkts, octets, want_pkts, want_bytes))
    if f["nat"]:
        # The translated addresses: the other direction's tuple, swapped.
        o = "o" if reply else "r"
        want = (f[o + "dst"], f[o + "src"], str(f[o + "dport"]), str(f[o + "sport"]))
        for r in mine:
            got = (r.get("src4_xlt_ip"), r.get("dst4_xlt_ip"),
                   str(r.get("src_xlt_port")), str(r.get("dst_xlt_port")))
            if got != want:
                errors.append("%s: nfdump NAT %s, expected %s" % (what, got, want))
    print("ok: %s: %d packets, %d bytes in %d record(s)%s" %
          (what, pkts, octets, len(mine), " NAT" if f["nat"] else ""))
    return pkts


def check_nfacctd(errors, path, flows):
    totals = {}
    with open(path) as fh:
        for row in csv.DictReader(fh):
            key = (row["SRC_IP"], row["DST_IP"], row["SRC_PORT"], row["DST_PORT"])
            totals[key] = totals.get(key, 0) + int(row["PACKETS"])
    for f in flows:
        if f["proto"] != 6:
            continue
        key = (f["osrc"], f["odst"], str(f["osport"]), str(f["odport"]))
        if totals.get(key) != f["opkts"]:
            errors.append("nfacctd: %s has %s packets, ListFlows %d" %
                          (key, totals.get(key), f["opkts"]))
        else:
            print("ok: nfacctd %s: %d packets" % (key, f["opkts"]))


def main():
    flows = load_flows(sys.argv[1])
    records = [r for r in json.load(open(sys.argv[2])) if r.get("type") == "FLOW"]
    errors = []
    kinds = {f["proto"] for f in flows}
    if not {1, 6, 17} <= kinds or sum(f["nat"] for f in flows) < 3:
        errors.append("ListFlows lacks the test's flows: %s" % flows)
    for f in flows:
        check_direction(errors, records, f, reply=False)
        check_direction(errors, records, f, reply=True)
    if len(sys.argv) > 3:
        check_nfacctd(errors, sys.argv[3], flows)
    for e in errors:
        print("MISMATCH: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
