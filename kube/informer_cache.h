// The informer's indexed store: objects by "namespace/name" plus named indexes. Not thread-safe
// on its own; the informer guards it.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kube/informer.h"

namespace vane::kube {

using IndexFn = std::function<std::vector<std::string>(const json&)>;

class InformerCache {
 public:
  InformerCache();
  static std::string keyOf(const json& obj);

  /// Inserts or replaces; returns the previous object (nullptr when new).
  ObjectPtr upsert(const std::string& key, ObjectPtr obj);
  /// Removes; returns the removed object (nullptr when absent).
  ObjectPtr erase(const std::string& key);
  ObjectPtr get(const std::string& key) const;
  void addIndex(const std::string& name, IndexFn fn);
  std::vector<ObjectPtr> byIndex(const std::string& index, const std::string& value) const;
  std::vector<ObjectPtr> all() const;
  std::vector<std::string> keys() const;
  std::size_t size() const { return items_.size(); }

 private:
  struct Index {
    IndexFn fn;
    std::unordered_map<std::string, std::unordered_set<std::string>> values;
  };
  void indexAdd(Index& index, const std::string& key, const json& obj);
  void indexRemove(Index& index, const std::string& key, const json& obj);

  std::unordered_map<std::string, ObjectPtr> items_;
  std::unordered_map<std::string, Index> indexes_;
};

}  // namespace vane::kube
