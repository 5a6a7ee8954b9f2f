// Write-ahead log of the local API server's store: one JSON record per line in
// <dir>/wal.log, plus a snapshot (<dir>/snapshot.json) written atomically on compaction.
// A torn last record (crash during a write) is ignored on replay.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "kube/status.h"

namespace vane::apiserver {

class Wal {
 public:
  Wal() = default;
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  /// Opens (creating) the directory and log. Calls snapshot(obj) for the snapshot document (if
  /// any), then record(obj) for each intact WAL record, in order.
  Status open(const std::string& dir, bool fsync,
              const std::function<void(const nlohmann::json&)>& snapshot,
              const std::function<void(const nlohmann::json&)>& record);
  /// Appends one record and (when fsync is on) fsyncs before returning. Not thread-safe.
  Status append(const nlohmann::json& record);
  /// Writes the snapshot atomically (tmp + fsync + rename), then truncates the log.
  Status compact(const nlohmann::json& snapshot);
  std::size_t bytes() const { return bytes_; }
  /// Latency of the last fsync in seconds (0 without fsync).
  double lastFsyncSeconds() const { return last_fsync_seconds_; }

 private:
  std::string dir_;
  int fd_ = -1;
  bool fsync_ = true;
  std::size_t bytes_ = 0;
  double last_fsync_seconds_ = 0;
};

}  // namespace vane::apiserver
