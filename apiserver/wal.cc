#include "apiserver/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vane::apiserver {

namespace {

Status ioError(const std::string& what) {
  return Status(Code::kInternal, what + ": " + std::strerror(errno));
}

Status writeAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("write");
    }
    off += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

void syncDir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

Wal::~Wal() {
  if (fd_ >= 0) ::close(fd_);
}

Status Wal::open(const std::string& dir, bool fsync,
                 const std::function<void(const nlohmann::json&)>& snapshot,
                 const std::function<void(const nlohmann::json&)>& record) {
  dir_ = dir;
  fsync_ = fsync;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Code::kInternal, "creating " + dir + ": " + ec.message());
  std::string snap_path = dir + "/snapshot.json";
  if (std::filesystem::exists(snap_path)) {
    std::ifstream in(snap_path, std::ios::binary);
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_discarded()) return Status(Code::kInternal, "corrupt snapshot " + snap_path);
    snapshot(doc);
  }
  std::string wal_path = dir + "/wal.log";
  std::size_t good_bytes = 0;
  {
    std::ifstream in(wal_path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no trailing newline: a torn record
      auto rec = nlohmann::json::parse(line, nullptr, false);
      if (rec.is_discarded()) break;
      record(rec);
      good_bytes += line.size() + 1;
    }
  }
  fd_ = ::open(wal_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return ioError("open " + wal_path);
  // Drop a torn tail so that new records follow the last intact one.
  if (::ftruncate(fd_, static_cast<off_t>(good_bytes)) != 0) return ioError("truncate WAL");
  if (::lseek(fd_, 0, SEEK_END) < 0) return ioError("seek WAL");
  bytes_ = good_bytes;
  syncDir(dir);
  return Status::ok();
}

Result<uint64_t> Wal::write(const nlohmann::json& record) {
  if (fd_ < 0) return Status(Code::kInternal, "WAL not open");
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  Status st = writeAll(fd_, line);
  if (!st.isOk()) return st;
  bytes_ += line.size();
  return ++written_;
}

Status Wal::sync(uint64_t seq) {
  if (!fsync_) return Status::ok();
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (synced_ < seq) {
    if (!sync_error_.isOk()) return sync_error_;
    if (syncing_) {  // someone's fdatasync is under way: it may cover seq, else go next
      sync_cv_.wait(lock);
      continue;
    }
    syncing_ = true;
    const uint64_t target = written_.load();
    lock.unlock();
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = ::fdatasync(fd_);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    lock.lock();
    syncing_ = false;
    ++fsyncs_;
    last_fsync_seconds_ = took;
    if (rc != 0) {
      sync_error_ = ioError("fdatasync WAL");
    } else {
      synced_ = std::max(synced_, target);
    }
    sync_cv_.notify_all();
  }
  return Status::ok();
}

Status Wal::append(const nlohmann::json& record) {
  auto seq = write(record);
  if (!seq) return seq.status();
  return sync(*seq);
}

double Wal::lastFsyncSeconds() const {
  std::lock_guard<std::mutex> lock(sync_mu_);
  return last_fsync_seconds_;
}

uint64_t Wal::fsyncs() const {
  std::lock_guard<std::mutex> lock(sync_mu_);
  return fsyncs_;
}

Status Wal::compact(const nlohmann::json& snapshot) {
  std::string tmp = dir_ + "/snapshot.json.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ioError("open " + tmp);
  Status st = writeAll(fd, snapshot.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (st.isOk() && ::fsync(fd) != 0) st = ioError("fsync snapshot");
  ::close(fd);
  if (!st.isOk()) return st;
  if (::rename(tmp.c_str(), (dir_ + "/snapshot.json").c_str()) != 0) return ioError("rename");
  syncDir(dir_);
  // The snapshot now holds everything in the log; a crash before the truncate only replays
  // records already in the snapshot, which is idempotent (records carry full state and RV).
  if (::ftruncate(fd_, 0) != 0) return ioError("truncate WAL");
  if (::lseek(fd_, 0, SEEK_SET) < 0) return ioError("seek WAL");
  if (fsync_ && ::fsync(fd_) != 0) return ioError("fsync WAL");
  bytes_ = 0;
  // Everything written so far is in the fsynced snapshot.
  std::lock_guard<std::mutex> lock(sync_mu_);
  synced_ = std::max(synced_, written_.load());
  sync_cv_.notify_all();
  return Status::ok();
}

}  // namespace vane::apiserver
