// What a simulated container does, read from its spec: `--simulate-workloads` has no container
// runtime, so the few shapes Argo's e2e Job fixtures use are interpreted, and an image that cannot
// exist fails to pull.
//
//   command: [sh, -c, "sleep N"]             runs N seconds, exits 0
//   command: [sh, -c, "exit K"]              exits K at once
//   command: [sh, -c, "sleep N && exit K"]   runs N seconds, exits K (also `;` between them)
//   (the script may also come from args, after options such as -x; /bin/sh, bash, /bin/bash;
//   sleep takes s, m and h suffixes)
//   image: nonexistent-image-...:tag or one of WorkloadSimulator::Options::unpullable_images
//                                            Pending, waiting with reason ErrImagePull
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace vane::apiserver {

struct ContainerScript {
  std::chrono::milliseconds runtime{0};
  int exit_code = 0;
};

/// The script of one container's `sh -c` command when it has one of the shapes above; nullopt
/// otherwise (the simulator then uses its default behaviour).
std::optional<ContainerScript> parseContainerScript(const nlohmann::json& container);

/// Whether image cannot be pulled: its repository name starts with "nonexistent-image" or it is
/// one of `unpullable` (compared with and without the tag).
bool imageUnpullable(const std::string& image, const std::vector<std::string>& unpullable);

/// The first container of pod_spec whose image cannot be pulled ("" if none).
std::string unpullableImage(const nlohmann::json& pod_spec,
                            const std::vector<std::string>& unpullable);

/// What a Job Pod does: the longest runtime of its containers' scripts and the first non-zero exit
/// code; nullopt when no container has a script.
std::optional<ContainerScript> podScript(const nlohmann::json& pod_spec);

}  // namespace vane::apiserver
