#pragma once
// What the fuzz targets share: a Stream whose peer is the fuzzer's input, and a scratch
// directory with a sentinel beside the sync root, to prove nothing was written outside it.

#include <choline/transport/transport.hpp>

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace choline::fuzz {

// Warnings about each bad path would be most of the work (and the output) of a fuzz run.
inline const bool k_logging_off = (spdlog::set_level(spdlog::level::off), true);

// Reads come from `input` (in chunks of varying size, as a network delivers them), then end of
// stream; writes are accepted and dropped. Never blocks.
class InputStream final : public transport::Stream {
 public:
  explicit InputStream(std::string_view input) : m_input(input) {}

  Result<std::size_t> read_some(void* buffer, std::size_t size) override {
    // A chunk size from the data already read keeps runs reproducible from the input alone.
    const std::size_t chunk = 1 + (m_at == 0 ? 0 : static_cast<unsigned char>(m_input[m_at - 1]) * 97) % 65536;
    const std::size_t n = std::min({size, chunk, m_input.size() - m_at});
    std::copy_n(m_input.data() + m_at, n, static_cast<char*>(buffer));
    m_at += n;
    return n;
  }
  Status write_all(const void*, std::size_t size) override {
    m_written += size;
    return {};
  }
  void close_write() override {}
  Result<int> wait() override { return 0; }
  std::string stderr_tail() const override { return {}; }
  std::uint64_t written() const { return m_written; }

 private:
  std::string_view m_input;
  std::size_t m_at = 0;
  std::uint64_t m_written = 0;
};

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
