// "un-consolidated-xml": the UN Security Council consolidated list (root
// CONSOLIDATED_LIST). It has no digital-currency field; the DPRK regime's
// individuals (KPi.*) and entities (KPe.*) become EntityListings so that an
// address match can show a party's UN listing. Other regimes are skipped.
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lists/formats.h"
#include "lists/text_checks.h"
#include "lists/xml_path.h"
#include "lists/xml_stream.h"

namespace screening::lists {
namespace {

std::string Trim(const std::string& text) { return std::string(absl::StripAsciiWhitespace(text)); }

struct Party {
  int line = 0;
  std::string names[4];  // FIRST_NAME .. FOURTH_NAME
  std::string list_type, reference, listed_on;
  std::vector<std::string> aliases;
};

}  // namespace

absl::Status ImportUnConsolidatedXml(const SourceSpec& spec, std::string_view xml_text, ImportedSource* out) {
  const std::string what = absl::StrCat("un-consolidated-xml source \"", spec.id, "\"");
  XmlStream xml(xml_text, what);
  XmlPath path;
  Party party;
  bool saw_root = false;
  int skipped_other_regimes = 0, odd_references = 0;
  static constexpr std::string_view kNameFields[] = {"FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"};

  while (xml.Next()) {
    if (xml.IsStart()) {
      path.Push(xml.name());
      if (!saw_root) {
        if (xml.name() != "CONSOLIDATED_LIST") {
          return absl::InvalidArgumentError(absl::StrCat(what, ": the root element is <", std::string(xml.name()),
                                                         ">, expected <CONSOLIDATED_LIST>"));
        }
        saw_root = true;
        const std::string generated = xml.Attribute("dateGenerated");
        if (generated.size() >= 10 && IsIsoDate(std::string_view(generated).substr(0, 10))) {
          out->report.published = generated.substr(0, 10);
        } else {
          out->report.warnings.push_back(absl::StrCat("dateGenerated \"", generated, "\" is not a date"));
        }
        continue;
      }
      const bool in_party = path.size() == 4 && (path.EndsWith({"INDIVIDUALS", "INDIVIDUAL", xml.name()}) ||
                                                 path.EndsWith({"ENTITIES", "ENTITY", xml.name()}));
      if (path.Is({"CONSOLIDATED_LIST", "INDIVIDUALS", "INDIVIDUAL"}) ||
          path.Is({"CONSOLIDATED_LIST", "ENTITIES", "ENTITY"})) {
        party = Party();
        party.line = xml.line();
      } else if (in_party) {
        std::string* target = nullptr;
        for (int i = 0; i < 4; ++i) {
          if (xml.name() == kNameFields[i]) target = &party.names[i];
        }
        if (xml.name() == "UN_LIST_TYPE") target = &party.list_type;
        if (xml.name() == "REFERENCE_NUMBER") target = &party.reference;
        if (xml.name() == "LISTED_ON") target = &party.listed_on;
        if (target != nullptr) {
          *target = Trim(xml.ReadText());
          path.Pop();
        }
      } else if (path.EndsWith({"INDIVIDUAL", "INDIVIDUAL_ALIAS", "ALIAS_NAME"}) ||
                 path.EndsWith({"ENTITY", "ENTITY_ALIAS", "ALIAS_NAME"})) {
        const std::string alias = Trim(xml.ReadText());
        path.Pop();
        if (!alias.empty()) party.aliases.push_back(alias);
      }
      if (!xml.status().ok()) break;
      continue;
    }
    if (path.Is({"CONSOLIDATED_LIST", "INDIVIDUALS", "INDIVIDUAL"}) ||
        path.Is({"CONSOLIDATED_LIST", "ENTITIES", "ENTITY"})) {
      if (party.list_type != "DPRK") {
        ++skipped_other_regimes;
      } else {
        if (party.reference.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(what, ": the DPRK party at line ", party.line,
                                                         " has no REFERENCE_NUMBER"));
        }
        if (!absl::StartsWith(party.reference, "KPi.") && !absl::StartsWith(party.reference, "KPe.")) {
          ++odd_references;
        }
        model::EntityListing entity;
        entity.list_id = spec.list_id;
        entity.source_id = spec.id;
        entity.reference = party.reference;
        std::vector<std::string> parts;
        for (const std::string& part : party.names) {
          if (!part.empty()) parts.push_back(part);
        }
        entity.name = absl::StrJoin(parts, " ");
        entity.aliases = party.aliases;
        entity.programs = "DPRK";
        entity.listed_on = party.listed_on;
        out->entities.push_back(std::move(entity));
      }
    }
    path.Pop();
  }
  if (!xml.status().ok()) return xml.status();
  if (!saw_root) return absl::InvalidArgumentError(absl::StrCat(what, ": no root element"));
  if (odd_references > 0) {
    out->report.warnings.push_back(
        absl::StrCat(odd_references, " DPRK part(ies) with a reference other than KPi.*/KPe.*"));
  }
  (void)skipped_other_regimes;  // other regimes are out of scope, not an anomaly
  return absl::OkStatus();
}

}  // namespace screening::lists
