// A small IPFIX decoder for unit tests: reads messages the way a collector
// does (header, sets, templates learnt from template sets, data records
// decoded by those templates). Independent of the encoder's tables.
#ifndef FLOWTOP_EXPORTERS_IPFIX_TEST_DECODER_H_
#define FLOWTOP_EXPORTERS_IPFIX_TEST_DECODER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace flowtop::exporters::testing {

struct DecodedRecord {
  uint16_t template_id = 0;
  // (enterprise number, element id) -> raw bytes.
  std::map<std::pair<uint32_t, uint16_t>, std::string> fields;

  bool Has(uint16_t id, uint32_t pen = 0) const {
    return fields.count({pen, id}) > 0;
  }
  uint64_t U(uint16_t id, uint32_t pen = 0) const {
    auto it = fields.find({pen, id});
    if (it == fields.end()) return ~uint64_t{0};
    uint64_t v = 0;
    for (unsigned char c : it->second) v = (v << 8) | c;
    return v;
  }
  std::string S(uint16_t id, uint32_t pen = 0) const {
    auto it = fields.find({pen, id});
    return it == fields.end() ? "<absent>" : it->second;
  }
};

struct DecodedMessage {
  uint16_t length = 0;
  uint32_t export_time = 0, sequence = 0, domain = 0;
  int template_records = 0;
  std::vector<DecodedRecord> records;
  std::string error;  // empty: well formed
};

class Decoder {
 public:
  DecodedMessage Decode(const std::string& m) {
    DecodedMessage out;
    auto u16 = [&](size_t at) {
      return static_cast<uint16_t>((static_cast<uint8_t>(m[at]) << 8) |
                                   static_cast<uint8_t>(m[at + 1]));
    };
    auto u32 = [&](size_t at) {
      return (static_cast<uint32_t>(u16(at)) << 16) | u16(at + 2);
    };
    if (m.size() < 16 || u16(0) != 10) return Fail(out, "bad header");
    out.length = u16(2);
    if (out.length != m.size()) return Fail(out, "length mismatch");
    out.export_time = u32(4);
    out.sequence = u32(8);
    out.domain = u32(12);
    size_t at = 16;
    while (at < m.size()) {
      if (m.size() - at < 4) return Fail(out, "short set header");
      const uint16_t id = u16(at), len = u16(at + 2);
      if (len < 4 || at + len > m.size() || len % 4 != 0) {
        return Fail(out, "bad set length");
      }
      const size_t end = at + len;
      size_t p = at + 4;
      if (id == 2 || id == 3) {
        while (end - p >= (id == 2 ? 4u : 6u)) {
          const uint16_t tid = u16(p), count = u16(p + 2);
          if (tid < 256) break;  // padding
          p += id == 2 ? 4 : 6;
          std::vector<Field> fields;
          for (int i = 0; i < count; ++i) {
            Field f{u16(p) & 0x7fffu, u16(p + 2), 0};
            const bool ent = (u16(p) & 0x8000) != 0;
            p += 4;
            if (ent) {
              f.pen = u32(p);
              p += 4;
            }
            fields.push_back(f);
          }
          templates_[tid] = fields;
          ++out.template_records;
        }
      } else if (id >= 256) {
        auto t = templates_.find(id);
        if (t == templates_.end()) return Fail(out, "data set before template");
        size_t min = 0;
        for (const Field& f : t->second) min += f.len == 65535 ? 1 : f.len;
        while (end - p >= min && min > 0) {
          DecodedRecord r;
          r.template_id = id;
          for (const Field& f : t->second) {
            size_t n = f.len;
            if (n == 65535) {
              n = static_cast<uint8_t>(m[p++]);
              if (n == 255) {
                n = u16(p);
                p += 2;
              }
            }
            if (p + n > end) return Fail(out, "record past its set");
            r.fields[{f.pen, static_cast<uint16_t>(f.id)}] = m.substr(p, n);
            p += n;
          }
          out.records.push_back(std::move(r));
        }
        for (; p < end; ++p) {
          if (m[p] != 0) return Fail(out, "non-zero padding");
        }
      } else {
        return Fail(out, "reserved set id");
      }
      at = end;
    }
    return out;
  }

 private:
  struct Field {
    uint32_t id;
    uint16_t len;
    uint32_t pen;
  };
  static DecodedMessage Fail(DecodedMessage& out, const char* why) {
    out.error = why;
    return out;
  }
  std::map<uint16_t, std::vector<Field>> templates_;
};

}  // namespace flowtop::exporters::testing

#endif  // FLOWTOP_EXPORTERS_IPFIX_TEST_DECODER_H_
