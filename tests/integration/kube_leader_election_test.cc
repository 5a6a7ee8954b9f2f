// Leader election between two electors with separate clients against the real vane-apiserver.
// Leadership intervals (from the callbacks) are recorded on one clock and must never overlap.
#include <gtest/gtest.h>

#include <mutex>

#include "kube/client.h"
#include "kube/leader_election.h"
#include "support/process.h"

namespace vane::kube {
namespace {

using namespace std::chrono_literals;
using vane::testing::ApiServer;
using vane::testing::waitFor;
using Steady = std::chrono::steady_clock;

struct Interval {
  std::string who;
  Steady::time_point start, end = Steady::time_point::max();
};

class Timeline {
 public:
  void started(const std::string& who) {
    std::lock_guard l(mu_);
    intervals_.push_back({who, Steady::now()});
  }
  void stopped(const std::string& who) {
    std::lock_guard l(mu_);
    for (auto& i : intervals_) {
      if (i.who == who && i.end == Steady::time_point::max()) i.end = Steady::now();
    }
  }
  int count(const std::string& who) {
    std::lock_guard l(mu_);
    int n = 0;
    for (auto& i : intervals_) n += i.who == who;
    return n;
  }
  bool overlapping() {
    std::lock_guard l(mu_);
    for (std::size_t a = 0; a < intervals_.size(); ++a) {
      for (std::size_t b = a + 1; b < intervals_.size(); ++b) {
        const auto &x = intervals_[a], &y = intervals_[b];
        if (x.who != y.who && x.start < y.end && y.start < x.end) return true;
      }
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<Interval> intervals_;
};

struct Candidate {
  std::unique_ptr<Client> client;
  std::unique_ptr<LeaderElector> elector;
};

Candidate candidate(const ApiServer& server, const std::string& id, Timeline& timeline,
                    bool release) {
  Candidate c;
  auto cfg = loadKubeconfig(server.kubeconfig());
  c.client = std::move(Client::create(*cfg)).value();
  LeaderElectionConfig le;
  le.lease_name = "vane-controller";
  le.identity = id;
  le.lease_duration = 3s;
  le.renew_deadline = 2s;
  le.retry_period = 500ms;
  le.release_on_stop = release;
  le.on_started_leading = [&timeline, id] { timeline.started(id); };
  le.on_stopped_leading = [&timeline, id] { timeline.stopped(id); };
  auto elector = LeaderElector::create(*c.client, le);
  EXPECT_TRUE(elector.ok()) << elector.status().toString();
  c.elector = std::move(*elector);
  return c;
}

TEST(KubeLeaderElectionIT, FollowerTakesOverAfterLeaderStopsRenewing) {
  auto server = ApiServer::start();
  ASSERT_TRUE(server);
  Timeline timeline;
  Candidate a = candidate(*server, "a", timeline, /*release=*/false);
  a.elector->start();
  ASSERT_TRUE(waitFor([&] { return a.elector->isLeader(); }, 10s));
  Candidate b = candidate(*server, "b", timeline, false);
  b.elector->start();
  ASSERT_TRUE(waitFor([&] { return b.elector->leader() == "a"; }, 10s));
  EXPECT_FALSE(b.elector->isLeader());
  a.elector->stop();  // no release: b must wait for the lease to expire
  EXPECT_EQ(timeline.count("a"), 1);
  ASSERT_TRUE(waitFor([&] { return b.elector->isLeader(); }, 10s));
  auto lease = b.client->get(resources::kLeases, "default", "vane-controller");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  b.elector->stop();
  EXPECT_FALSE(timeline.overlapping());
}

TEST(KubeLeaderElectionIT, CleanShutdownReleasesTheLease) {
  auto server = ApiServer::start();
  ASSERT_TRUE(server);
  Timeline timeline;
  Candidate a = candidate(*server, "a", timeline, true);
  Candidate b = candidate(*server, "b", timeline, true);
  a.elector->start();
  b.elector->start();
  ASSERT_TRUE(waitFor([&] { return a.elector->isLeader() || b.elector->isLeader(); }, 10s));
  bool a_leads = a.elector->isLeader();
  Candidate& leader = a_leads ? a : b;
  Candidate& follower = a_leads ? b : a;
  leader.elector->stop();
  auto lease = follower.client->get(resources::kLeases, "default", "vane-controller");
  ASSERT_TRUE(lease.ok());
  // Released (empty) or already taken by the follower, never still the stopped leader.
  std::string holder = (*lease)["spec"].value("holderIdentity", "");
  EXPECT_TRUE(holder.empty() || holder == (a_leads ? "b" : "a")) << holder;
  ASSERT_TRUE(waitFor([&] { return follower.elector->isLeader(); }, 10s));
  follower.elector->stop();
  EXPECT_FALSE(timeline.overlapping());
}

TEST(KubeLeaderElectionIT, LeaderStepsDownWhenItCannotRenew) {
  auto server = ApiServer::start();
  ASSERT_TRUE(server);
  Timeline timeline;
  Candidate a = candidate(*server, "a", timeline, true);
  Candidate b = candidate(*server, "b", timeline, true);
  a.elector->start();
  b.elector->start();
  ASSERT_TRUE(waitFor([&] { return a.elector->isLeader() || b.elector->isLeader(); }, 10s));
  server->kill9();
  ASSERT_TRUE(waitFor([&] { return !a.elector->isLeader() && !b.elector->isLeader(); }, 10s));
  EXPECT_EQ(timeline.count("a") + timeline.count("b"), 1);
  ASSERT_TRUE(server->restart());
  ASSERT_TRUE(waitFor([&] { return a.elector->isLeader() || b.elector->isLeader(); }, 20s));
  a.elector->stop();
  b.elector->stop();
  EXPECT_FALSE(timeline.overlapping());
}

}  // namespace
}  // namespace vane::kube
