#pragma once
// What the fuzz targets share: a Stream whose peer is the fuzzer's input, and a scratch
// directory with a sentinel beside the sync root, to prove nothing was written outside it.

#include <choline/sync/wire.hpp>
#include <choline/transport/transport.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace choline::fuzz {

// Warnings about each bad path would be most of the work (and the output) of a fuzz run.
inline const bool k_logging_off = (spdlog::set_level(spdlog::level::off), true);

// Reads come from `input` (in chunks of varying size, as a network delivers them), then end of
// stream; writes are accepted and kept (up to k_max_kept bytes, for assertions on what this side
// said). Never blocks, except at a gate (see gate()).
class InputStream final : public transport::Stream {
 public:
  explicit InputStream(std::string_view input) : m_input(input) {}

  // Reads stop at `offset` of the input until this side has written a frame of type `type`, as
  // a real peer waits for it (a sender answers the requests before its DONE), or closed its
  // writing side, or k_gate_timeout passed. Without it every later frame would arrive before this
  // side had asked for anything, and the paths that end in success would go unfuzzed.
  void gate(std::size_t offset, std::uint8_t type) {
    std::lock_guard lock(m_mutex);
    m_gate = Gate{offset, type};
  }

  Result<std::size_t> read_some(void* buffer, std::size_t size) override {
    // A chunk size from the data already read keeps runs reproducible from the input alone.
    const std::size_t chunk = 1 + (m_at == 0 ? 0 : static_cast<unsigned char>(m_input[m_at - 1]) * 97) % 65536;
    std::size_t end = m_input.size();
    {
      std::unique_lock lock(m_mutex);
      if (m_gate && m_at >= m_gate->offset) {
        m_opened.wait_for(lock, k_gate_timeout, [&] { return !m_gate; });
        m_gate.reset();
      }
      if (m_gate) end = std::min(end, m_gate->offset);
    }
    const std::size_t n = std::min({size, chunk, end - m_at});
    std::copy_n(m_input.data() + m_at, n, static_cast<char*>(buffer));
    m_at += n;
    return n;
  }
  Status write_all(const void* data, std::size_t size) override {
    std::lock_guard lock(m_mutex);
    m_written += size;
    if (m_written > k_max_kept) {
      open_gate();  // no longer watched
      return {};
    }
    m_output.append(static_cast<const char*>(data), size);
    // Frame headers: [type:u8][length:u32 LE].
    while (m_output.size() - m_parsed >= 5) {
      const auto type = static_cast<std::uint8_t>(m_output[m_parsed]);
      std::uint32_t length = 0;
      for (int i = 0; i < 4; ++i)
        length |= std::uint32_t(static_cast<unsigned char>(m_output[m_parsed + 1 + i])) << (8 * i);
      if (m_output.size() - m_parsed < 5 + std::size_t(length)) break;
      m_parsed += 5 + length;
      if (m_gate && type == m_gate->type) open_gate();
    }
    return {};
  }
  void close_write() override {
    std::lock_guard lock(m_mutex);
    open_gate();
  }
  Result<int> wait() override { return 0; }
  std::string stderr_tail() const override { return {}; }
  std::uint64_t written() const { return m_written; }
  // Everything written, unless it was over k_max_kept.
  std::optional<std::string_view> output() const {
    if (m_written > k_max_kept) return std::nullopt;
    return std::string_view(m_output);
  }

 private:
  static constexpr std::uint64_t k_max_kept = 64 << 20;
  static constexpr std::chrono::seconds k_gate_timeout{5};
  struct Gate {
    std::size_t offset;
    std::uint8_t type;
  };
  void open_gate() {  // with m_mutex held
    m_gate.reset();
    m_opened.notify_all();
  }

  std::string_view m_input;
  std::size_t m_at = 0;
  std::mutex m_mutex;
  std::condition_variable m_opened;
  std::optional<Gate> m_gate;
  std::string m_output;
  std::size_t m_parsed = 0;
  std::uint64_t m_written = 0;
};

// Where each frame of `bytes` starts, and its type, up to the first truncated or oversized one.
struct FrameAt {
  std::size_t offset;
  std::size_t end;  // where the next one starts
  std::uint8_t type;
};
inline std::vector<FrameAt> frames_of(std::string_view bytes) {
  std::vector<FrameAt> frames;
  for (std::size_t at = 0; bytes.size() - at >= 5;) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length |= std::uint32_t(static_cast<unsigned char>(bytes[at + 1 + i])) << (8 * i);
    if (length > sync::k_max_frame_payload || bytes.size() - at - 5 < length) break;
    frames.push_back({at, at + 5 + length, static_cast<std::uint8_t>(bytes[at])});
    at += 5 + std::size_t(length);
  }
  return frames;
}

// How many frames of each type `bytes` holds, up to and not counting the first of type `until`.
inline std::map<std::uint8_t, std::uint64_t> count_frames(std::string_view bytes, int until = -1) {
  std::map<std::uint8_t, std::uint64_t> counts;
  for (const auto& frame : frames_of(bytes)) {
    if (frame.type == until) break;
    ++counts[frame.type];
  }
  return counts;
}

// <tmp>/choline-fuzz-<pid>/{root,outside/sentinel}; root is emptied before each run.
class Sandbox {
 public:
  Sandbox() : m_base(std::filesystem::temp_directory_path() / ("choline-fuzz-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(m_base / "outside");
    std::ofstream(m_base / "outside" / "sentinel") << "untouched";
  }
  ~Sandbox() {
    std::error_code ec;
    std::filesystem::remove_all(m_base, ec);
  }
  std::filesystem::path fresh_root() {
    std::error_code ec;
    std::filesystem::permissions(root(), std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(root(), ec);
    std::filesystem::create_directories(root());
    return root();
  }
  std::filesystem::path root() const { return m_base / "root"; }
  std::filesystem::path base() const { return m_base; }

  // Aborts (a finding) if anything beside the root changed.
  void require_outside_untouched() const {
    std::size_t entries = 0;
    for (const auto& item : std::filesystem::directory_iterator(m_base)) {
      (void)item;
      ++entries;
    }
    std::ifstream in(m_base / "outside" / "sentinel");
    std::string text;
    std::getline(in, text);
    std::size_t outside = 0;
    for (const auto& item : std::filesystem::directory_iterator(m_base / "outside")) {
      (void)item;
      ++outside;
    }
    if (entries > 2 || outside != 1 || text != "untouched") std::abort();
    // Every symlink the receiver made must point inside the root.
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root(), ec); !ec && it != std::filesystem::end(it);
         it.increment(ec)) {
      if (!it->is_symlink()) continue;
      const auto target = std::filesystem::read_symlink(it->path(), ec);
      const auto resolved = (target.is_absolute() ? target : it->path().parent_path() / target).lexically_normal();
      const auto relative = resolved.lexically_relative(root());
      if (relative.empty() || *relative.begin() == "..") std::abort();
    }
  }

 private:
  std::filesystem::path m_base;
};

}  // namespace choline::fuzz
