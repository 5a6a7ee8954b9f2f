// Configuration checks; the election itself runs against the real API server in
// tests/integration/kube_leader_election_test.cc.
#include "kube/leader_election.h"

#include <gtest/gtest.h>

namespace vane::kube {
namespace {

using namespace std::chrono_literals;

TEST(LeaderElectionConfigTest, RejectsInconsistentDurations) {
  RestConfig cfg;
  cfg.server = "http://127.0.0.1:1";
  auto client = std::move(Client::create(cfg)).value();
  LeaderElectionConfig le;
  le.lease_name = "l";
  le.identity = "me";
  EXPECT_TRUE(LeaderElector::create(*client, le).ok()) << "client-go defaults 15s/10s/2s";
  LeaderElectionConfig bad = le;
  bad.renew_deadline = 15s;
  EXPECT_EQ(LeaderElector::create(*client, bad).status().field(), "lease_duration");
  bad = le;
  bad.retry_period = 9s;
  EXPECT_EQ(LeaderElector::create(*client, bad).status().field(), "renew_deadline");
  bad = le;
  bad.identity.clear();
  EXPECT_EQ(LeaderElector::create(*client, bad).status().field(), "identity");
}

// With the server unreachable, a started elector never claims leadership and stops cleanly.
TEST(LeaderElectionConfigTest, UnreachableServerNeverLeads) {
  RestConfig cfg;
  cfg.server = "http://127.0.0.1:1";
  auto client = std::move(Client::create(cfg)).value();
  LeaderElectionConfig le;
  le.lease_name = "l";
  le.identity = "me";
  bool started = false;
  le.on_started_leading = [&] { started = true; };
  auto elector = std::move(LeaderElector::create(*client, le)).value();
  elector->start();
  elector->stop();
  EXPECT_FALSE(started);
  EXPECT_FALSE(elector->isLeader());
}

}  // namespace
}  // namespace vane::kube
