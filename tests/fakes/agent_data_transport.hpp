#pragma once
// A Transport whose commands are the agent's data verbs run in this process: each exec parses
// its command line with the agent's own verb definitions (cli/agent_data_verbs.hpp) and serves
// it on a thread, over a stream pair. For testing remote::stage_data end to end without a host.

#include <choline/cli/agent_data_verbs.hpp>

#include "fakes/pipe_stream.hpp"

#include <CLI/CLI.hpp>

#include <mutex>
#include <thread>

namespace choline::fakes {

class AgentDataTransport final : public transport::Transport {
 public:
  // Every command line it was asked to run.
  std::vector<std::vector<std::string>> commands;

  Result<std::unique_ptr<transport::Stream>> exec(const std::vector<std::string>& argv) override {
    {
      std::lock_guard lock(m_mutex);
      commands.push_back(argv);
    }
    // The prefix is the agent's path and "agent"; the rest is parsed as the agent parses it.
    auto verbs = std::make_shared<cli::AgentDataVerbs>();
    auto app = std::make_shared<CLI::App>("agent");
    verbs->define(*app);
    std::vector<std::string> args(argv.begin() + 2, argv.end());
    std::reverse(args.begin(), args.end());
    try {
      app->parse(args);
    } catch (const CLI::ParseError& e) {
      return make_error(ErrorKind::usage, std::string("the agent would refuse this command line: ") + e.what());
    }
    return std::unique_ptr<transport::Stream>(std::make_unique<AgentStream>(std::move(verbs), std::move(app)));
  }
  std::string describe() const override { return "in-process agent"; }

 private:
  class AgentStream final : public transport::Stream {
   public:
    AgentStream(std::shared_ptr<cli::AgentDataVerbs> verbs, std::shared_ptr<CLI::App> app)
        : m_verbs(std::move(verbs)), m_app(std::move(app)), m_pair(make_stream_pair()) {
      m_thread = std::thread([this] {
        Status status = m_verbs->serve(*m_pair.b);
        if (!status) m_error = "choline: error: " + status.error().message + "\n";
        m_pair.b.reset();  // as the process exiting closes its pipes
      });
    }
    ~AgentStream() override {
      m_pair.a.reset();
      if (m_thread.joinable()) m_thread.join();
    }
    Result<std::size_t> read_some(void* buffer, std::size_t size) override { return m_pair.a->read_some(buffer, size); }
    Status write_all(const void* data, std::size_t size) override { return m_pair.a->write_all(data, size); }
    void close_write() override { m_pair.a->close_write(); }
    Result<int> wait() override {
      m_pair.a->close_write();
      if (m_thread.joinable()) m_thread.join();
      return m_error.empty() ? 0 : 1;
    }
    std::string stderr_tail() const override { return m_error; }

   private:
    std::shared_ptr<cli::AgentDataVerbs> m_verbs;
    std::shared_ptr<CLI::App> m_app;
    StreamPair m_pair;
    std::thread m_thread;
    std::string m_error;
  };

  std::mutex m_mutex;
};

}  // namespace choline::fakes
