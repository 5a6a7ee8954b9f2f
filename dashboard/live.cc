#include "dashboard/live.h"

#include <nlohmann/json.hpp>

namespace vane::dashboard {

namespace {
constexpr std::chrono::seconds kHeartbeat{15};
constexpr std::size_t kMaxNamed = 200;  // beyond this a batch just says "everything"
}  // namespace

LiveHub::LiveHub(std::chrono::milliseconds flush_interval)
    : interval_(flush_interval), thread_([this] { loop(); }) {}

LiveHub::~LiveHub() { stop(); }

void LiveHub::add(std::shared_ptr<http::StreamWriter> writer, NamespaceFilter may_see) {
  writer->write("retry: 2000\n: connected\n\n");
  std::lock_guard lock(mu_);
  if (stopping_) {
    writer->close();
    return;
  }
  writers_.push_back({std::move(writer), std::move(may_see)});
}

void LiveHub::touched(const std::string& kind, const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  if (kind == "Rollout") {
    if (rollouts_.size() <= kMaxNamed) rollouts_.insert(ns + "/" + name);
  }
  namespaces_.insert(ns);
}

std::size_t LiveHub::streams() const {
  std::lock_guard lock(mu_);
  return writers_.size();
}

void LiveHub::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& w : writers_) w.writer->close();
    writers_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

namespace {

std::string changeMessage(const std::set<std::string>& rollouts,
                          const std::set<std::string>& namespaces, bool all) {
  nlohmann::json data = {{"rollouts", rollouts}, {"namespaces", namespaces}, {"all", all}};
  return "event: change\ndata: " + data.dump() + "\n\n";
}

// The part of a batch a stream's user may see; "" when nothing is left.
std::string filtered(const LiveHub::NamespaceFilter& may_see, const std::set<std::string>& rollouts,
                     const std::set<std::string>& namespaces) {
  std::set<std::string> ns, ro;
  for (const auto& n : namespaces) {
    if (may_see(n)) ns.insert(n);
  }
  for (const auto& key : rollouts) {
    if (ns.count(key.substr(0, key.find('/')))) ro.insert(key);
  }
  return ns.empty() ? "" : changeMessage(ro, ns, false);
}

}  // namespace

void LiveHub::loop() {
  auto last_beat = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    std::erase_if(writers_, [](const auto& w) { return !w.writer->isOpen(); });
    std::set<std::string> rollouts, namespaces;
    rollouts.swap(rollouts_);
    namespaces.swap(namespaces_);
    bool beat = std::chrono::steady_clock::now() - last_beat > kHeartbeat;
    if (namespaces.empty() && !beat) continue;
    last_beat = std::chrono::steady_clock::now();
    std::vector<Stream> streams = writers_;
    lock.unlock();  // filters may ask the API server (cached SubjectAccessReviews)
    bool all = rollouts.size() > kMaxNamed;
    std::string everything =
        namespaces.empty() ? ": ping\n\n" : changeMessage(rollouts, namespaces, all);
    for (auto& s : streams) {
      std::string m =
          s.may_see && !namespaces.empty() ? filtered(s.may_see, rollouts, namespaces) : everything;
      s.writer->write(m.empty() ? ": ping\n\n" : m);
    }
    lock.lock();
  }
}

}  // namespace vane::dashboard
