// A thin, streaming wrapper over libxml2's xmlTextReader: constant memory
// whatever the document size, element names compared by LOCAL name because
// OFAC changed its namespaces over the years. Internal to lists/.
#ifndef SCREENING_LISTS_XML_STREAM_H_
#define SCREENING_LISTS_XML_STREAM_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace screening::lists {

class XmlStream {
 public:
  // `bytes` must outlive the stream. No network access, no entity expansion,
  // no DTD loading.
  XmlStream(std::string_view bytes, std::string_view what);
  ~XmlStream();
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;

  // Advances to the next start or end element. False at the end of the
  // document or on an error (then status() is DataLoss with line and reason).
  bool Next();
  const absl::Status& status() const { return status_; }

  bool IsStart() const;  // a start tag (also true for <empty/>)
  bool IsEnd() const;    // an end tag, or the implicit end of <empty/>
  int depth() const;     // 0 for the root element
  std::string_view name() const { return name_; }  // local name
  int line() const;

  // The value of attribute `local_name` of the current start element, or "".
  std::string Attribute(const char* local_name) const;

  // At a start element: reads its text content (concatenated text and CDATA
  // of all descendants) and leaves the stream on its end element.
  std::string ReadText();

  struct Impl;  // libxml2 state; public only so that the C error callback can reach it

 private:
  std::unique_ptr<Impl> impl_;
  std::string name_;
  bool synthetic_end_ = false;  // the end of an <empty/> element, reported after its start
  absl::Status status_;
};

}  // namespace screening::lists

#endif  // SCREENING_LISTS_XML_STREAM_H_
