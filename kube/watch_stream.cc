// Watch response decoding (kube-api-local.md a.8): one JSON event per line, split across chunks
// arbitrarily; an ERROR event (e.g. 410 Expired) is handed to the caller as an event.
#include <deque>
#include <mutex>

#include "kube/client_internal.h"

namespace vane::kube {
namespace {

class WatchStreamImpl : public WatchStream {
 public:
  explicit WatchStreamImpl(std::unique_ptr<http::ResponseStream> stream)
      : stream_(std::move(stream)) {}

  std::optional<WatchEvent> next() override {
    while (pending_.empty()) {
      if (ended_) return std::nullopt;
      std::string chunk;
      if (!stream_->read(chunk)) {
        ended_ = true;
        std::lock_guard lock(mu_);
        if (error_.isOk()) error_ = stream_->error();
        return std::nullopt;
      }
      buffer_ += chunk;
      std::vector<WatchEvent> events;
      Status s;
      bool ok = decodeWatchLines(buffer_, events, s);
      for (auto& e : events) pending_.push_back(std::move(e));
      if (!ok) {
        std::lock_guard lock(mu_);
        error_ = s;
        ended_ = true;
        stream_->cancel();
      }
    }
    WatchEvent e = std::move(pending_.front());
    pending_.pop_front();
    return e;
  }

  Status error() const override {
    std::lock_guard lock(mu_);
    return error_;
  }
  void cancel() override { stream_->cancel(); }

 private:
  std::unique_ptr<http::ResponseStream> stream_;
  std::string buffer_;
  std::deque<WatchEvent> pending_;
  bool ended_ = false;
  mutable std::mutex mu_;
  Status error_;
};

}  // namespace

bool decodeWatchLines(std::string& buffer, std::vector<WatchEvent>& out, Status& status) {
  std::size_t start = 0;
  while (true) {
    std::size_t nl = buffer.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(buffer.data() + start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      status =
          Status(Code::kInternal, "malformed watch event: " + std::string(line.substr(0, 200)));
      buffer.erase(0, start);
      return false;
    }
    WatchEvent e;
    e.type = j["type"].get<std::string>();
    if (auto it = j.find("object"); it != j.end()) e.object = std::move(*it);
    out.push_back(std::move(e));
  }
  buffer.erase(0, start);
  return true;
}

std::unique_ptr<WatchStream> makeWatchStream(std::unique_ptr<http::ResponseStream> stream) {
  return std::make_unique<WatchStreamImpl>(std::move(stream));
}

}  // namespace vane::kube
