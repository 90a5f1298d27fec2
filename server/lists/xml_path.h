// The chain of open elements while streaming XML, compared by local name.
// Internal to lists/.
#ifndef SCREENING_LISTS_XML_PATH_H_
#define SCREENING_LISTS_XML_PATH_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace screening::lists {

class XmlPath {
 public:
  void Push(std::string_view name) { names_.emplace_back(name); }
  void Pop() {
    if (!names_.empty()) names_.pop_back();
  }
  size_t size() const { return names_.size(); }
  // True when the open elements are exactly `names`, root first.
  bool Is(std::initializer_list<std::string_view> names) const {
    if (names.size() != names_.size()) return false;
    size_t i = 0;
    for (std::string_view name : names) {
      if (names_[i++] != name) return false;
    }
    return true;
  }
  // True when the innermost open elements are `names` (outermost first).
  bool EndsWith(std::initializer_list<std::string_view> names) const {
    if (names.size() > names_.size()) return false;
    size_t i = names_.size() - names.size();
    for (std::string_view name : names) {
      if (names_[i++] != name) return false;
    }
    return true;
  }

 private:
  std::vector<std::string> names_;
};

}  // namespace screening::lists

#endif  // SCREENING_LISTS_XML_PATH_H_
