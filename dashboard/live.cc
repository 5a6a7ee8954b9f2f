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

void LiveHub::add(std::shared_ptr<http::StreamWriter> writer) {
  writer->write("retry: 2000\n: connected\n\n");
  std::lock_guard lock(mu_);
  if (stopping_) {
    writer->close();
    return;
  }
  writers_.push_back(std::move(writer));
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
    for (auto& w : writers_) w->close();
    writers_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LiveHub::loop() {
  auto last_beat = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    std::erase_if(writers_, [](const auto& w) { return !w->isOpen(); });
    std::string message;
    if (!rollouts_.empty() || !namespaces_.empty()) {
      nlohmann::json data = {{"rollouts", rollouts_},
                             {"namespaces", namespaces_},
                             {"all", rollouts_.size() > kMaxNamed}};
      message = "event: change\ndata: " + data.dump() + "\n\n";
      rollouts_.clear();
      namespaces_.clear();
    } else if (std::chrono::steady_clock::now() - last_beat > kHeartbeat) {
      message = ": ping\n\n";  // finds streams whose tab has gone
    }
    if (message.empty()) continue;
    last_beat = std::chrono::steady_clock::now();
    for (auto& w : writers_) w->write(message);
  }
}

}  // namespace vane::dashboard
