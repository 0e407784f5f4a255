#pragma once
// The agent's data verbs (agent/data_stage.hpp) on the `choline agent` command: data-push,
// data-fetch, data-list. Like every agent verb they are for the laptop side, not for users.

#include <choline/agent/data_stage.hpp>
#include <choline/error.hpp>
#include <choline/transport/transport.hpp>

#include <string>

namespace CLI {
class App;
}

namespace choline::cli {

class AgentDataVerbs {
 public:
  // Adds the verbs to `agent` (the agent command's CLI11 app).
  void define(CLI::App& agent);
  // True when one of them was the verb given.
  bool parsed() const;
  // Runs it over the agent's stdin/stdout.
  Status run();
  // Runs it over `stdio` (the agent's own stdin/stdout in run(); a test's stream pair).
  Status serve(transport::Stream& stdio);

 private:
  CLI::App* m_push = nullptr;
  CLI::App* m_fetch = nullptr;
  CLI::App* m_list = nullptr;
  agent::PushRequest m_request;
  double m_limit_gb = 0;  // 0: the default limit
};

}  // namespace choline::cli
