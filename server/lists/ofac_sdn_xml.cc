// "ofac-sdn-xml": OFAC's legacy SDN.XML (root sdnList). An address is
// sdnEntry/idList/id[idType = "Digital Currency Address - <LABEL>"]/idNumber.
// Elements are matched by local name: the namespace changed from
// http://tempuri.org/sdnList.xsd to sanctionslistservice.ofac.treas.gov URLs.
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lists/asset_labels.h"
#include "lists/formats.h"
#include "lists/text_checks.h"
#include "lists/xml_path.h"
#include "lists/xml_stream.h"

namespace screening::lists {
namespace {

std::string Trim(const std::string& text) { return std::string(absl::StripAsciiWhitespace(text)); }

// "10/29/2020" -> "2020-10-29"; empty if it is not a real MM/DD/YYYY date.
std::string UsDateToIso(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 3 || parts[0].size() > 2 || parts[1].size() > 2 || parts[2].size() != 4) return "";
  if (parts[0].size() == 1) parts[0] = "0" + parts[0];
  if (parts[1].size() == 1) parts[1] = "0" + parts[1];
  const std::string iso = absl::StrCat(parts[2], "-", parts[0], "-", parts[1]);
  return IsIsoDate(iso) ? iso : "";
}

struct Entry {
  int line = 0;
  std::string uid, first_name, last_name;
  std::vector<std::string> programs;
  struct Id {
    std::string type, number;
  };
  std::vector<Id> ids;
};

}  // namespace

absl::Status ImportOfacSdnXml(const SourceSpec& spec, std::string_view xml_text, ImportedSource* out) {
  const std::string what = absl::StrCat("ofac-sdn-xml source \"", spec.id, "\"");
  XmlStream xml(xml_text, what);
  XmlPath path;
  Entry entry;
  Entry::Id id;
  UnknownLabelCounter unknown_labels;
  bool saw_root = false;

  while (xml.Next()) {
    if (xml.IsStart()) {
      path.Push(xml.name());
      if (!saw_root) {
        if (xml.name() != "sdnList") {
          return absl::InvalidArgumentError(absl::StrCat(what, ": the root element is <", std::string(xml.name()),
                                                         ">, expected <sdnList> (is this SDN.XML?)"));
        }
        saw_root = true;
      } else if (path.Is({"sdnList", "sdnEntry"})) {
        entry = Entry();
        entry.line = xml.line();
      } else if (path.Is({"sdnList", "sdnEntry", "idList", "id"})) {
        id = Entry::Id();
      } else if (path.Is({"sdnList", "publshInformation", "Publish_Date"})) {
        const std::string date = Trim(xml.ReadText());
        path.Pop();
        out->report.published = UsDateToIso(date);
        if (out->report.published.empty()) {
          out->report.warnings.push_back(absl::StrCat("Publish_Date \"", date, "\" is not a MM/DD/YYYY date"));
        }
      } else if (path.Is({"sdnList", "sdnEntry", "uid"})) {
        entry.uid = Trim(xml.ReadText());
        path.Pop();
      } else if (path.Is({"sdnList", "sdnEntry", "firstName"})) {
        entry.first_name = Trim(xml.ReadText());
        path.Pop();
      } else if (path.Is({"sdnList", "sdnEntry", "lastName"})) {
        entry.last_name = Trim(xml.ReadText());
        path.Pop();
      } else if (path.Is({"sdnList", "sdnEntry", "programList", "program"})) {
        const std::string program = Trim(xml.ReadText());
        path.Pop();
        if (!program.empty()) entry.programs.push_back(program);
      } else if (path.Is({"sdnList", "sdnEntry", "idList", "id", "idType"})) {
        id.type = Trim(xml.ReadText());
        path.Pop();
      } else if (path.Is({"sdnList", "sdnEntry", "idList", "id", "idNumber"})) {
        id.number = Trim(xml.ReadText());
        path.Pop();
      }
      if (!xml.status().ok()) break;
      continue;
    }
    // An end element.
    if (path.Is({"sdnList", "sdnEntry", "idList", "id"})) {
      entry.ids.push_back(id);
    } else if (path.Is({"sdnList", "sdnEntry"})) {
      for (const Entry::Id& listed : entry.ids) {
        const std::string label = DigitalCurrencyLabel(listed.type);
        if (label.empty()) continue;
        if (entry.uid.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(what, ": the sdnEntry at line ", entry.line, " lists an address but has no <uid>"));
        }
        if (listed.number.empty() || listed.number.find_first_of(" \t\r\n") != std::string::npos) {
          ++out->report.unparsed_entry_count;
          out->report.warnings.push_back(absl::StrCat("uid ", entry.uid, ": \"", listed.type,
                                                      "\" with an unusable idNumber \"", listed.number, "\""));
          continue;
        }
        model::Listing listing;
        listing.list_id = spec.list_id;
        listing.list_kind = spec.list_kind;
        listing.source_id = spec.id;
        listing.entity_name =
            entry.first_name.empty() ? entry.last_name : absl::StrCat(entry.first_name, " ", entry.last_name);
        listing.entity_id = entry.uid;
        listing.programs = entry.programs;
        listing.asset = label;
        listing.address = listed.number;
        listing.source = "OFAC SDN list (SDN.XML)";
        unknown_labels.Note(label);
        out->listings.push_back(std::move(listing));
      }
    }
    path.Pop();
  }
  if (!xml.status().ok()) return xml.status();
  if (!saw_root) return absl::InvalidArgumentError(absl::StrCat(what, ": no root element"));
  unknown_labels.AppendWarnings(&out->report.warnings);
  if (!out->report.published.empty()) {
    for (model::Listing& listing : out->listings) {
      listing.source = absl::StrCat(listing.source, ", published ", out->report.published);
    }
  }
  return absl::OkStatus();
}

}  // namespace screening::lists
