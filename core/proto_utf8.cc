#include "core/proto_utf8.h"

#include <string>
#include <vector>

#include "core/json_text.h"
#include "core/utf8.h"
#include "google/protobuf/descriptor.h"

namespace flowtop::core {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool RepairField(Message& m, const Reflection& refl, const FieldDescriptor& f) {
  bool repaired = false;
  if (f.type() == FieldDescriptor::TYPE_STRING) {
    if (!f.is_repeated()) {
      const std::string s = refl.GetString(m, &f);
      if (IsValidUtf8(s)) return false;
      refl.SetString(&m, &f, RepairUtf8(s));
      return true;
    }
    for (int i = 0; i < refl.FieldSize(m, &f); ++i) {
      const std::string s = refl.GetRepeatedString(m, &f, i);
      if (IsValidUtf8(s)) continue;
      refl.SetRepeatedString(&m, &f, i, RepairUtf8(s));
      repaired = true;
    }
  } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (!f.is_repeated()) return RepairUtf8Strings(*refl.MutableMessage(&m, &f));
    for (int i = 0; i < refl.FieldSize(m, &f); ++i) {
      repaired |= RepairUtf8Strings(*refl.MutableRepeatedMessage(&m, &f, i));
    }
  }
  return repaired;
}

}  // namespace

bool RepairUtf8Strings(Message& m) {
  const Reflection* refl = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  bool repaired = false;
  for (const FieldDescriptor* f : fields) repaired |= RepairField(m, *refl, *f);
  return repaired;
}

}  // namespace flowtop::core
