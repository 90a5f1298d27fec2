// "ofac-advanced-xml": OFAC's SDN_ADVANCED.XML (root Sanctions, the UN-style
// schema). Files are >100 MB, so the document is streamed (xmlTextReader) and
// only what the addresses need is kept: the digital-currency FeatureType ids,
// the listed features, and the programs of the profiles that have them.
//
// FeatureType ids are looked up by their text ("Digital Currency Address -
// XBT") every time, never hard-coded: OFAC assigns them. The same goes for the
// SanctionsType whose text is "Program". Elements are matched by local name.
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lists/asset_labels.h"
#include "lists/formats.h"
#include "lists/text_checks.h"
#include "lists/xml_path.h"
#include "lists/xml_stream.h"

namespace screening::lists {
namespace {

std::string Trim(const std::string& text) { return std::string(absl::StripAsciiWhitespace(text)); }

std::string Pad2(const std::string& number) { return number.size() == 1 ? "0" + number : number; }

}  // namespace

absl::Status ImportOfacAdvancedXml(const SourceSpec& spec, std::string_view xml_text, ImportedSource* out) {
  const std::string what = absl::StrCat("ofac-advanced-xml source \"", spec.id, "\"");
  XmlStream xml(xml_text, what);
  XmlPath path;
  UnknownLabelCounter unknown_labels;

  std::map<std::string, std::string> currency_feature_types;  // FeatureType ID -> asset label
  bool saw_feature_types = false;
  std::string program_sanctions_type;                         // SanctionsType ID of "Program"
  std::string year, month, day;                               // DateOfIssue

  // The party being read.
  std::string fixed_ref, profile_id, name;
  bool primary_identity = false, primary_alias = false, name_done = false;
  std::vector<std::string> name_parts;
  std::string feature_label;  // the asset label of the current Feature, or empty
  std::vector<std::string> profile_ids;
  std::set<std::string> profiles_with_listings;

  // Programs, collected for the profiles that have addresses.
  std::map<std::string, std::vector<std::string>> programs_by_profile;
  std::string entry_profile, measure_type;

  bool saw_root = false;
  while (xml.Next()) {
    if (xml.IsStart()) {
      path.Push(xml.name());
      if (!saw_root) {
        if (xml.name() != "Sanctions") {
          return absl::InvalidArgumentError(absl::StrCat(what, ": the root element is <", std::string(xml.name()),
                                                         ">, expected <Sanctions> (is this SDN_ADVANCED.XML?)"));
        }
        saw_root = true;
      } else if (path.Is({"Sanctions", "DateOfIssue", "Year"})) {
        year = Trim(xml.ReadText());
        path.Pop();
      } else if (path.Is({"Sanctions", "DateOfIssue", "Month"})) {
        month = Pad2(Trim(xml.ReadText()));
        path.Pop();
      } else if (path.Is({"Sanctions", "DateOfIssue", "Day"})) {
        day = Pad2(Trim(xml.ReadText()));
        path.Pop();
      } else if (path.Is({"Sanctions", "ReferenceValueSets", "FeatureTypeValues"})) {
        saw_feature_types = true;
      } else if (path.Is({"Sanctions", "ReferenceValueSets", "FeatureTypeValues", "FeatureType"})) {
        const std::string id = xml.Attribute("ID");
        const std::string label = DigitalCurrencyLabel(xml.ReadText());
        path.Pop();
        if (!label.empty()) currency_feature_types[id] = label;
      } else if (path.Is({"Sanctions", "ReferenceValueSets", "SanctionsTypeValues", "SanctionsType"})) {
        const std::string id = xml.Attribute("ID");
        if (Trim(xml.ReadText()) == "Program") program_sanctions_type = id;
        path.Pop();
      } else if (path.Is({"Sanctions", "DistinctParties"})) {
        if (!saw_feature_types) {
          return absl::InvalidArgumentError(absl::StrCat(
              what, ": line ", xml.line(),
              ": DistinctParties before ReferenceValueSets/FeatureTypeValues; cannot tell which features are "
              "digital currency addresses"));
        }
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty"})) {
        fixed_ref = xml.Attribute("FixedRef");
        if (fixed_ref.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(what, ": line ", xml.line(), ": DistinctParty without FixedRef"));
        }
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile"})) {
        profile_id = xml.Attribute("ID");
        name.clear();
        name_done = false;
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Identity"})) {
        primary_identity = xml.Attribute("Primary") == "true";
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Identity", "Alias"})) {
        primary_alias = primary_identity && xml.Attribute("Primary") == "true";
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Identity", "Alias",
                          "DocumentedName"})) {
        name_parts.clear();
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Identity", "Alias",
                          "DocumentedName", "DocumentedNamePart", "NamePartValue"})) {
        const std::string part = Trim(xml.ReadText());
        path.Pop();
        if (primary_alias && !name_done && !part.empty()) name_parts.push_back(part);
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Feature"})) {
        const auto type = currency_feature_types.find(xml.Attribute("FeatureTypeID"));
        feature_label = type == currency_feature_types.end() ? "" : type->second;
      } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Feature", "FeatureVersion",
                          "VersionDetail"})) {
        const std::string address = Trim(xml.ReadText());
        path.Pop();
        if (!feature_label.empty()) {
          if (address.empty() || address.find_first_of(" \t\r\n") != std::string::npos) {
            ++out->report.unparsed_entry_count;
            out->report.warnings.push_back(absl::StrCat("FixedRef ", fixed_ref, ": \"Digital Currency Address - ",
                                                        feature_label, "\" with an unusable value \"", address,
                                                        "\""));
          } else {
            model::Listing listing;
            listing.list_id = spec.list_id;
            listing.list_kind = spec.list_kind;
            listing.source_id = spec.id;
            listing.entity_name = name;  // the primary name precedes the features in a Profile
            listing.entity_id = fixed_ref;
            listing.asset = feature_label;
            listing.address = address;
            unknown_labels.Note(feature_label);
            profile_ids.push_back(profile_id);
            profiles_with_listings.insert(profile_id);
            out->listings.push_back(std::move(listing));
          }
        }
      } else if (path.Is({"Sanctions", "SanctionsEntries", "SanctionsEntry"})) {
        entry_profile = xml.Attribute("ProfileID");
      } else if (path.Is({"Sanctions", "SanctionsEntries", "SanctionsEntry", "SanctionsMeasure"})) {
        measure_type = xml.Attribute("SanctionsTypeID");
      } else if (path.Is({"Sanctions", "SanctionsEntries", "SanctionsEntry", "SanctionsMeasure", "Comment"})) {
        const std::string program = Trim(xml.ReadText());
        path.Pop();
        if (!program.empty() && !program_sanctions_type.empty() && measure_type == program_sanctions_type &&
            profiles_with_listings.count(entry_profile)) {
          programs_by_profile[entry_profile].push_back(program);
        }
      }
      if (!xml.status().ok()) break;
      continue;
    }
    // An end element.
    if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Identity", "Alias",
                 "DocumentedName"})) {
      if (primary_alias && !name_done && !name_parts.empty()) {
        name = absl::StrJoin(name_parts, " ");
        name_done = true;  // the first documented name of the primary alias
      }
    } else if (path.Is({"Sanctions", "DistinctParties", "DistinctParty", "Profile", "Feature"})) {
      feature_label.clear();
    }
    path.Pop();
  }
  if (!xml.status().ok()) return xml.status();
  if (!saw_root) return absl::InvalidArgumentError(absl::StrCat(what, ": no root element"));
  if (currency_feature_types.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": no \"Digital Currency Address - ...\" FeatureType in ReferenceValueSets"));
  }
  if (!year.empty()) {
    const std::string date = absl::StrCat(year, "-", month, "-", day);
    if (IsIsoDate(date)) {
      out->report.published = date;
    } else {
      out->report.warnings.push_back(absl::StrCat("DateOfIssue \"", date, "\" is not a date"));
    }
  }
  if (program_sanctions_type.empty()) {
    out->report.warnings.push_back("no SanctionsType \"Program\": listings carry no programs");
  }
  int unnamed = 0;
  for (size_t i = 0; i < out->listings.size(); ++i) {
    model::Listing& listing = out->listings[i];
    const auto programs = programs_by_profile.find(profile_ids[i]);
    if (programs != programs_by_profile.end()) listing.programs = programs->second;
    listing.source = "OFAC SDN list (SDN_ADVANCED.XML)";
    if (!out->report.published.empty()) absl::StrAppend(&listing.source, ", published ", out->report.published);
    if (listing.entity_name.empty()) ++unnamed;
  }
  if (unnamed > 0) {
    out->report.warnings.push_back(absl::StrCat(unnamed, " listing(s) whose party has no primary name before its "
                                                "features"));
  }
  unknown_labels.AppendWarnings(&out->report.warnings);
  return absl::OkStatus();
}

}  // namespace screening::lists
