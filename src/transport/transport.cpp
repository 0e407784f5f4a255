#include <choline/transport/transport.hpp>

namespace choline::transport {

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:@,+") ==
                           std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') quoted += "'\\''"; else quoted += c;
  }
  return quoted + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& word : argv) {
    if (!line.empty()) line += ' ';
    line += shell_quote(word);
  }
  return line;
}

Status read_to_end(Stream& stream, const std::function<Status(std::string_view)>& on_chunk) {
  char buffer[16384];
  for (;;) {
    auto n = stream.read_some(buffer, sizeof buffer);
    if (!n) return n.error();
    if (*n == 0) return {};
    if (auto ok = on_chunk(std::string_view(buffer, *n)); !ok) return ok;
  }
}

Status wait_for_success(Stream& stream, const std::string& what) {
  stream.close_write();
  auto code = stream.wait();
  if (!code) return code.error();
  if (*code == 0) return {};
  const std::string tail = stream.stderr_tail();
  return make_error(ErrorKind::remote, what + " exited " + std::to_string(*code) + (tail.empty() ? "" : ": " + tail));
}

void StderrTail::append(const char* data, std::size_t size) {
  m_text.append(data, size);
  if (m_text.size() > k_keep) m_text.erase(0, m_text.size() - k_keep);
}

}  // namespace choline::transport
