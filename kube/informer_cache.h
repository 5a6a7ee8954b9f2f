// The informer's indexed store: objects by "namespace/name" plus named indexes. Not thread-safe
// on its own; the informer guards it.
//
// An entry holds the object either as a tree (shared_ptr<const json>) or, with `encoded`, as its
// JSON text (about an eighth of the tree's memory), plus the typed value the informer's decoder
// made of it when it entered the cache. The index values of each entry are kept with it, so an
// entry is never decoded again to be re-indexed or removed.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kube/informer.h"

namespace vane::kube {

using IndexFn = std::function<std::vector<std::string>(const json&)>;

class InformerCache {
 public:
  /// encoded: keep objects as JSON text, parsed again on each object read.
  explicit InformerCache(bool encoded = false);
  static std::string keyOf(const json& obj);

  struct Entry {
    ObjectPtr tree;     // when not encoded
    std::string bytes;  // when encoded
    TypedPtr typed;     // the decoder's view; null without a decoder
    std::vector<std::pair<std::size_t, std::string>> index_values;  // (index number, value)
  };

  /// Inserts or replaces obj (typed: its decoded view, may be null); returns the previous
  /// object (nullptr when new; parsed again when encoded and want_old).
  ObjectPtr upsert(const std::string& key, const ObjectPtr& obj, TypedPtr typed,
                   bool want_old = true);
  /// Removes; returns the removed object (nullptr when absent, or when not want_old).
  ObjectPtr erase(const std::string& key, bool want_old = true);
  ObjectPtr get(const std::string& key) const;
  TypedPtr getTyped(const std::string& key) const;
  void addIndex(const std::string& name, IndexFn fn);
  std::vector<ObjectPtr> byIndex(const std::string& index, const std::string& value) const;
  std::vector<TypedPtr> byIndexTyped(const std::string& index, const std::string& value) const;
  std::vector<std::string> keysByIndex(const std::string& index, const std::string& value) const;
  std::vector<ObjectPtr> all() const;
  std::vector<TypedPtr> allTyped() const;
  std::vector<std::string> keys() const;
  std::size_t size() const { return items_.size(); }

 private:
  struct Index {
    std::string name;
    IndexFn fn;
    std::unordered_map<std::string, std::unordered_set<std::string>> values;
  };
  ObjectPtr object(const Entry& e) const;
  const Index* findIndex(const std::string& name) const;
  void indexAdd(std::size_t i, const std::string& key, const json& obj, Entry& e);
  void indexRemove(const std::string& key, Entry& e);

  bool encoded_;
  std::unordered_map<std::string, Entry> items_;
  std::vector<Index> indexes_;
};

}  // namespace vane::kube
