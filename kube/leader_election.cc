// Lease-based leader election after client-go's leaderelection package. Two threads: the campaign
// thread gets/creates/updates the Lease; the watchdog ends leadership at the renew deadline even
// while a request is stuck, so a leader never acts past the point where others may take over.
#include "kube/leader_election.h"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include "base/time.h"

namespace vane::kube {

std::string microTime(std::chrono::system_clock::time_point t) {
  return base::formatRfc3339Micro(t);
}

namespace {

using Steady = std::chrono::steady_clock;

class LeaderElectorImpl : public LeaderElector {
 public:
  LeaderElectorImpl(Client& client, LeaderElectionConfig config)
      : client_(client), config_(std::move(config)), rng_(std::random_device{}()) {}
  ~LeaderElectorImpl() override { stop(); }

  void start() override {
    std::lock_guard lock(mu_);
    if (started_) return;
    started_ = true;
    campaign_ = std::thread([this] { campaignLoop(); });
    watchdog_ = std::thread([this] { watchdogLoop(); });
  }

  void stop() override {
    {
      std::lock_guard lock(mu_);
      if (!started_ || stopping_) return;
      stopping_ = true;
      cv_.notify_all();
    }
    campaign_.join();
    watchdog_.join();
    bool was_leading;
    {
      std::lock_guard lock(mu_);
      was_leading = leading_ && Steady::now() < valid_until_;
      leading_ = false;
    }
    announce();  // stop acting first, then hand the lease over
    if (was_leading && config_.release_on_stop) release();
  }

  bool isLeader() const override {
    std::lock_guard lock(mu_);
    return leading_ && Steady::now() < valid_until_;
  }

  std::string leader() const override {
    std::lock_guard lock(mu_);
    return observed_holder_;
  }

 private:
  void campaignLoop();
  void watchdogLoop();
  bool tryAcquireOrRenew();
  void observe(const json& spec);
  void release();
  json leaseSpec(const json& old_spec, std::chrono::system_clock::time_point now) const;
  // Brings the callbacks in line with the state; they alternate started/stopped.
  void announce() {
    std::lock_guard cb(callback_mu_);
    bool leading = isLeader();
    if (leading == announced_) return;
    announced_ = leading;
    auto& fn = leading ? config_.on_started_leading : config_.on_stopped_leading;
    if (fn) fn();
  }

  Client& client_;
  const LeaderElectionConfig config_;
  std::mt19937_64 rng_;
  std::thread campaign_, watchdog_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool leading_ = false;
  Steady::time_point valid_until_{};
  std::string observed_record_;
  std::string observed_holder_;
  Steady::time_point observed_time_{};

  std::mutex callback_mu_;
  bool announced_ = false;
};

void LeaderElectorImpl::campaignLoop() {
  while (true) {
    Steady::time_point attempt_start = Steady::now();
    bool ok = tryAcquireOrRenew();
    bool leading;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      // Leadership is valid for renew_deadline from the start of the successful attempt: any
      // other candidate observed our write later and waits a full lease_duration from then.
      if (ok && Steady::now() < attempt_start + config_.renew_deadline) {
        valid_until_ = attempt_start + config_.renew_deadline;
        leading_ = true;
      }
      leading = leading_;
      cv_.notify_all();
    }
    announce();
    std::chrono::milliseconds wait = config_.retry_period;
    if (!leading) {  // candidates spread out (client-go JitterUntil factor 1.2)
      wait += std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(
          0, static_cast<int64_t>(config_.retry_period.count() * 1.2))(rng_));
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, wait, [&] { return stopping_; })) return;
  }
}

void LeaderElectorImpl::watchdogLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (leading_ && Steady::now() >= valid_until_) {
      leading_ = false;
      lock.unlock();
      announce();
      lock.lock();
      continue;
    }
    if (leading_) {
      cv_.wait_until(lock, valid_until_);
    } else {
      cv_.wait(lock);
    }
  }
}

void LeaderElectorImpl::observe(const json& spec) {
  std::string holder = spec.value("holderIdentity", "");
  std::string record = spec.dump();
  bool new_leader = false;
  {
    std::lock_guard lock(mu_);
    if (record != observed_record_) {
      observed_record_ = record;
      observed_time_ = Steady::now();
    }
    new_leader = holder != observed_holder_;
    observed_holder_ = holder;
    // Someone else holds the lease: whatever we believed, we are not the leader now.
    if (holder != config_.identity && leading_) valid_until_ = Steady::now();
    cv_.notify_all();
  }
  if (new_leader && config_.on_new_leader) config_.on_new_leader(holder);
}

json LeaderElectorImpl::leaseSpec(const json& old_spec,
                                  std::chrono::system_clock::time_point now) const {
  json spec = old_spec.is_object() ? old_spec : json::object();
  std::string holder = spec.value("holderIdentity", "");
  if (holder != config_.identity) {
    spec["acquireTime"] = microTime(now);
    int64_t transitions = spec.contains("leaseTransitions") && spec["leaseTransitions"].is_number()
                              ? spec["leaseTransitions"].get<int64_t>()
                              : 0;
    spec["leaseTransitions"] = holder.empty() && !old_spec.is_object() ? 0 : transitions + 1;
  }
  spec["holderIdentity"] = config_.identity;
  spec["renewTime"] = microTime(now);
  spec["leaseDurationSeconds"] = static_cast<int64_t>(
      std::ceil(std::chrono::duration<double>(config_.lease_duration).count()));
  return spec;
}

bool LeaderElectorImpl::tryAcquireOrRenew() {
  auto now = std::chrono::system_clock::now();
  auto got = client_.get(resources::kLeases, config_.lease_namespace, config_.lease_name);
  if (!got) {
    if (got.status().code() != Code::kNotFound) return false;
    json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
        {"spec", leaseSpec(nullptr, now)}};
    auto created = client_.create(resources::kLeases, config_.lease_namespace, lease);
    if (!created) return false;
    observe((*created)["spec"]);
    return true;
  }
  json lease = std::move(*got);
  json spec = lease.contains("spec") ? lease["spec"] : json::object();
  observe(spec);
  std::string holder = spec.value("holderIdentity", "");
  if (!holder.empty() && holder != config_.identity) {
    std::lock_guard lock(mu_);
    if (Steady::now() < observed_time_ + config_.lease_duration) return false;  // held
  }
  lease["spec"] = leaseSpec(spec, now);
  // metadata.resourceVersion from the get makes this a compare-and-swap: a 409 means we lost.
  auto updated = client_.update(resources::kLeases, config_.lease_namespace, lease);
  if (!updated) return false;
  observe((*updated)["spec"]);
  return true;
}

// client-go's release: an empty holder with a 1 s duration, so any candidate may take it now.
void LeaderElectorImpl::release() {
  auto got = client_.get(resources::kLeases, config_.lease_namespace, config_.lease_name);
  if (!got) return;
  json lease = std::move(*got);
  if (!lease.contains("spec") || lease["spec"].value("holderIdentity", "") != config_.identity) {
    return;
  }
  auto now = microTime(std::chrono::system_clock::now());
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = now;
  lease["spec"]["acquireTime"] = now;
  client_.update(resources::kLeases, config_.lease_namespace, lease);
}

}  // namespace

Result<std::unique_ptr<LeaderElector>> LeaderElector::create(Client& client,
                                                             LeaderElectionConfig config) {
  if (config.lease_name.empty()) return Status(Code::kInvalid, "required", "lease_name");
  if (config.identity.empty()) return Status(Code::kInvalid, "required", "identity");
  if (config.lease_duration <= config.renew_deadline) {
    return Status(Code::kInvalid, "must be greater than renew_deadline", "lease_duration");
  }
  if (config.renew_deadline.count() <= config.retry_period.count() * 1.2) {
    return Status(Code::kInvalid, "must be greater than retry_period * 1.2", "renew_deadline");
  }
  return std::unique_ptr<LeaderElector>(
      std::make_unique<LeaderElectorImpl>(client, std::move(config)));
}

}  // namespace vane::kube
