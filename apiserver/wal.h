// Write-ahead log of the local API server's store: one JSON record per line in
// <dir>/wal.log, plus a snapshot (<dir>/snapshot.json) written atomically on compaction.
// A torn last record (crash during a write) is ignored on replay. Records are committed in
// groups: write() appends, sync() makes everything written so far durable with one fdatasync
// shared by every writer waiting at that moment.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
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
  /// Writes one record to the log (no fsync) and returns its sequence number. Callers serialise
  /// write() and compact() (the store's lock).
  Result<uint64_t> write(const nlohmann::json& record);
  /// Group commit: returns once every record up to seq is on disk. One caller at a time runs
  /// fdatasync, covering every record written so far; the others wait for it, so N concurrent
  /// writers cost one fsync, not N. Thread-safe; need not hold the store's lock. Without fsync
  /// returns at once. A failed fsync fails this and every later call (restart the server).
  Status sync(uint64_t seq);
  /// write() then sync(): one record, durable on return.
  Status append(const nlohmann::json& record);
  /// Writes the snapshot atomically (tmp + fsync + rename), then truncates the log.
  Status compact(const nlohmann::json& snapshot);
  std::size_t bytes() const { return bytes_; }
  /// Latency of the last fsync in seconds (0 without fsync).
  double lastFsyncSeconds() const;
  /// fdatasync calls made by sync() so far.
  uint64_t fsyncs() const;

 private:
  std::string dir_;
  int fd_ = -1;
  bool fsync_ = true;
  std::size_t bytes_ = 0;
  std::atomic<uint64_t> written_{0};  // records written (their sequence numbers are 1..written_)
  mutable std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  uint64_t synced_ = 0;  // every record up to this is on disk
  bool syncing_ = false;
  Status sync_error_;
  uint64_t fsyncs_ = 0;
  double last_fsync_seconds_ = 0;
};

}  // namespace vane::apiserver
