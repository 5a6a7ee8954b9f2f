// Given a vane-apiserver with a data dir taking a stream of writes,
// when it is killed with SIGKILL mid-stream and restarted on the same data dir,
// then every acknowledged write is there and resourceVersions continue upward.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "support/process.h"

namespace vane::testing {
namespace {

std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

TEST(ApiServerDurability, AcknowledgedWritesSurviveSigkill) {
  ApiServer::Options opts;
  opts.simulate_workloads = false;
  auto server = ApiServer::start(opts);
  ASSERT_TRUE(server);
  std::string acked = server->dataDir() + "/acked.txt";
  // Each line "name rv" is appended only after the server answered 201.
  std::string loop =
      "for i in $(seq 1 100000); do "
      "body=$(curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' "
      "--data '{\"metadata\":{\"name\":\"cm-'$i'\"},\"data\":{\"i\":\"'$i'\"}}' " +
      server->url() +
      "/api/v1/namespaces/default/configmaps) || continue; "
      "case \"$body\" in *' 201') "
      "rv=$(printf '%s' \"$body\" | grep -o '\"resourceVersion\":\"[0-9]*\"' | grep -o '[0-9]*'); "
      "echo \"cm-$i $rv\" >> " +
      acked + ";; esac; done";
  Process writer({"bash", "-c", loop}, server->dataDir() + "/writer.log");
  ASSERT_TRUE(waitFor([&] { return lines(acked).size() >= 40; }, std::chrono::seconds(60)));
  server->kill9();
  writer.kill9();
  auto written = lines(acked);
  ASSERT_GE(written.size(), 40u);
  ASSERT_TRUE(server->restart());
  uint64_t max_rv = 0;
  for (const auto& l : written) {
    std::istringstream ss(l);
    std::string name;
    uint64_t rv = 0;
    ss >> name >> rv;
    max_rv = std::max(max_rv, rv);
    auto got = run("curl -s -o /dev/null -w '%{http_code}' " + server->url() +
                   "/api/v1/namespaces/default/configmaps/" + name);
    EXPECT_EQ(got.output, "200") << name << " was acknowledged but is missing after restart";
  }
  auto created =
      run("curl -s -X POST -H 'Content-Type: application/json' --data "
          "'{\"metadata\":{\"name\":\"after-restart\"}}' " +
          server->url() + "/api/v1/namespaces/default/configmaps");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created.output, m, std::regex("\"resourceVersion\":\"([0-9]+)\"")))
      << created.output;
  EXPECT_GT(std::stoull(m[1].str()), max_rv);
  auto listed = run(server->kubectl() + "get configmaps -o name");
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("configmap/after-restart"), std::string::npos);
}

}  // namespace
}  // namespace vane::testing
