#pragma once
// A Transport that runs nothing: it records every command and answers each with a canned
// stdout and exit status. For checking what the laptop asks of a host.

#include <choline/transport/transport.hpp>

#include <memory>
#include <string>
#include <vector>

namespace choline::fakes {

struct CommandLog {
  std::vector<std::vector<std::string>> commands;
  std::string reply = "{}";  // stdout of every command
  int exit_code = 0;
};

class CannedStream final : public transport::Stream {
 public:
  CannedStream(std::string out, int code) : m_out(std::move(out)), m_code(code) {}
  Result<std::size_t> read_some(void* buffer, std::size_t size) override {
    const std::size_t n = std::min(size, m_out.size() - m_at);
    std::copy_n(m_out.data() + m_at, n, static_cast<char*>(buffer));
    m_at += n;
    return n;
  }
  Status write_all(const void*, std::size_t) override { return {}; }
  void close_write() override {}
  Result<int> wait() override { return m_code; }
  std::string stderr_tail() const override { return {}; }

 private:
  std::string m_out;
  std::size_t m_at = 0;
  int m_code;
};

class RecordingTransport final : public transport::Transport {
 public:
  explicit RecordingTransport(std::shared_ptr<CommandLog> log) : m_log(std::move(log)) {}
  Result<std::unique_ptr<transport::Stream>> exec(const std::vector<std::string>& argv) override {
    m_log->commands.push_back(argv);
    return std::unique_ptr<transport::Stream>(std::make_unique<CannedStream>(m_log->reply, m_log->exit_code));
  }
  std::string describe() const override { return "recording"; }

 private:
  std::shared_ptr<CommandLog> m_log;
};

}  // namespace choline::fakes
