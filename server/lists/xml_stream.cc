#include "lists/xml_stream.h"

#include <libxml/xmlreader.h>

#include "absl/strings/str_cat.h"

namespace screening::lists {
namespace {

std::string FromXml(const xmlChar* text) { return text == nullptr ? "" : reinterpret_cast<const char*>(text); }

}  // namespace

struct XmlStream::Impl {
  xmlTextReaderPtr reader = nullptr;
  std::string what;
  std::string first_error;
  int error_line = 0;
};

extern "C" {
static void CollectXmlError(void* arg, xmlErrorPtr error) {
  auto* impl = static_cast<XmlStream::Impl*>(arg);
  if (error == nullptr || !impl->first_error.empty()) return;
  std::string message = error->message == nullptr ? "unknown XML error" : error->message;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  impl->first_error = message;
  impl->error_line = error->line;
}
}

XmlStream::XmlStream(std::string_view bytes, std::string_view what) : impl_(std::make_unique<Impl>()) {
  impl_->what = std::string(what);
  // XML_PARSE_NONET: never fetch anything; no XML_PARSE_NOENT/DTDLOAD: no
  // entity expansion or external DTDs (billion-laughs, XXE).
  impl_->reader = xmlReaderForMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, "UTF-8",
                                     XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT);
  if (impl_->reader == nullptr) {
    status_ = absl::InvalidArgumentError(absl::StrCat(impl_->what, ": cannot start the XML reader"));
    return;
  }
  xmlTextReaderSetStructuredErrorHandler(impl_->reader, &CollectXmlError, impl_.get());
}

XmlStream::~XmlStream() {
  if (impl_->reader != nullptr) xmlFreeTextReader(impl_->reader);
}

bool XmlStream::Next() {
  if (!status_.ok()) return false;
  if (IsStart() && xmlTextReaderIsEmptyElement(impl_->reader) && !synthetic_end_) {
    synthetic_end_ = true;  // report the end of <empty/> as its own event
    return true;
  }
  synthetic_end_ = false;
  while (true) {
    const int result = xmlTextReaderRead(impl_->reader);
    if (result != 1 || !impl_->first_error.empty()) {
      if (result == 0 && impl_->first_error.empty()) return false;  // clean end of document
      std::string reason = impl_->first_error.empty() ? "not well-formed XML" : impl_->first_error;
      const int line = impl_->error_line > 0 ? impl_->error_line : xmlTextReaderGetParserLineNumber(impl_->reader);
      status_ = absl::DataLossError(
          absl::StrCat(impl_->what, ": XML error at line ", line, ": ", reason, " (truncated or malformed file?)"));
      return false;
    }
    const int type = xmlTextReaderNodeType(impl_->reader);
    if (type == XML_READER_TYPE_ELEMENT || type == XML_READER_TYPE_END_ELEMENT) {
      name_ = FromXml(xmlTextReaderConstLocalName(impl_->reader));
      return true;
    }
  }
}

bool XmlStream::IsStart() const {
  return impl_->reader != nullptr && !synthetic_end_ &&
         xmlTextReaderNodeType(impl_->reader) == XML_READER_TYPE_ELEMENT;
}

bool XmlStream::IsEnd() const {
  return impl_->reader != nullptr &&
         (synthetic_end_ || xmlTextReaderNodeType(impl_->reader) == XML_READER_TYPE_END_ELEMENT);
}

int XmlStream::depth() const { return xmlTextReaderDepth(impl_->reader); }

int XmlStream::line() const { return xmlTextReaderGetParserLineNumber(impl_->reader); }

std::string XmlStream::Attribute(const char* local_name) const {
  if (!IsStart()) return "";
  std::string value;
  if (xmlTextReaderMoveToFirstAttribute(impl_->reader) == 1) {
    do {
      if (FromXml(xmlTextReaderConstLocalName(impl_->reader)) == local_name) {
        value = FromXml(xmlTextReaderConstValue(impl_->reader));
        break;
      }
    } while (xmlTextReaderMoveToNextAttribute(impl_->reader) == 1);
    xmlTextReaderMoveToElement(impl_->reader);
  }
  return value;
}

std::string XmlStream::ReadText() {
  std::string text;
  if (!IsStart()) return text;
  if (xmlTextReaderIsEmptyElement(impl_->reader)) {
    synthetic_end_ = true;
    return text;
  }
  const int start_depth = depth();
  while (true) {
    const int result = xmlTextReaderRead(impl_->reader);
    if (result != 1 || !impl_->first_error.empty()) {
      std::string reason = impl_->first_error.empty() ? "the document ends inside an element" : impl_->first_error;
      status_ = absl::DataLossError(absl::StrCat(impl_->what, ": XML error at line ", line(), ": ", reason,
                                                 " (truncated or malformed file?)"));
      return "";
    }
    const int type = xmlTextReaderNodeType(impl_->reader);
    if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
        type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || type == XML_READER_TYPE_WHITESPACE) {
      text += FromXml(xmlTextReaderConstValue(impl_->reader));
    } else if (type == XML_READER_TYPE_END_ELEMENT && depth() == start_depth) {
      name_ = FromXml(xmlTextReaderConstLocalName(impl_->reader));
      return text;
    }
  }
}

}  // namespace screening::lists
