#include <choline/records/checkpoint_index.hpp>

#include <choline/limits.hpp>
#include <choline/records/checkpoint_names.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/json.hpp>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>

namespace choline::records {

namespace {

std::filesystem::path index_file(const RunRecord& record) {
  return record.dir / "checkpoints.json";
}

std::vector<CheckpointEntry> load_index(const RunRecord& record) {
  std::vector<CheckpointEntry> entries;
  auto text = util::read_file(index_file(record), limits::k_max_json_file);
  if (!text) return entries;
  const auto j = util::parse_json(*text, limits::k_max_json_depth);
  if (!j || !j->is_array()) return entries;
  for (const auto& e : *j) {
    // A damaged entry is skipped: its checkpoint then counts as unverified, never as good.
    util::JsonReader in(e, "checkpoint");
    CheckpointEntry entry{in.string("name"), in.uint64("size", 0), in.int64("mtime_ns", 0), in.string("xxh3")};
    if (in.ok() && !entry.name.empty() && !entry.xxh3.empty()) entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

std::optional<CheckpointEntry> describe_file(const std::filesystem::path& dir, const std::string& name) {
  const auto path = dir / name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  util::Hash128 hash;
  std::string buffer(1 << 20, '\0');
  std::uint64_t size = 0;
  for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) > 0;) {
    hash.update(buffer.data(), static_cast<std::size_t>(n));
    size += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return CheckpointEntry{name, size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                         util::to_hex(hash.digest())};
}

std::vector<CheckpointEntry> recorded_checkpoints(const RunRecord& record) {
  return load_index(record);
}

Status record_checkpoints(const RunRecord& record, bool changed_too) {
  auto entries = load_index(record);
  bool changed = false;
  std::error_code ec;
  for (const auto& item : std::filesystem::recursive_directory_iterator(record.checkpoints_dir(), ec)) {
    if (!item.is_regular_file()) continue;
    const std::string name = item.path().lexically_relative(record.checkpoints_dir()).string();
    if (!is_checkpoint_name(name)) continue;
    struct stat st {};
    if (::stat(item.path().c_str(), &st) != 0) continue;
    const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    auto known = std::find_if(entries.begin(), entries.end(), [&](const CheckpointEntry& e) { return e.name == name; });
    if (known != entries.end() &&
        (!changed_too || (known->size == static_cast<std::uint64_t>(st.st_size) && known->mtime_ns == mtime))) {
      continue;
    }
    auto described = describe_file(record.checkpoints_dir(), name);
    if (!described) continue;
    if (known != entries.end()) {
      *known = *described;
    } else {
      entries.push_back(*described);
    }
    changed = true;
  }
  if (!changed) return {};
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : entries)
    j.push_back({{"name", e.name}, {"size", e.size}, {"mtime_ns", e.mtime_ns}, {"xxh3", e.xxh3}});
  return util::write_file_atomic(index_file(record), util::dump_json(j, 2) + "\n");
}

std::optional<std::string> newest_intact(
    const std::vector<CheckpointEntry>& recorded,
    const std::function<std::optional<CheckpointEntry>(const std::string&)>& current) {
  std::vector<CheckpointEntry> candidates;
  for (const auto& e : recorded) {
    if (is_checkpoint_name(e.name)) candidates.push_back(e);
  }
  std::sort(candidates.begin(), candidates.end(), [](const CheckpointEntry& a, const CheckpointEntry& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns > b.mtime_ns : a.name > b.name;
  });
  for (const auto& e : candidates) {
    auto now = current(e.name);
    if (now && now->size == e.size && now->xxh3 == e.xxh3) return e.name;
    spdlog::warn("checkpoint {} is not the file that was pulled ({}); passing over it", e.name,
                 now ? "its size or content changed" : "it is missing");
  }
  return std::nullopt;
}

std::string checkpoint_to_resume(const RunRecord& record) {
  if (auto ok = record_checkpoints(record, /*changed_too=*/false); !ok)
    spdlog::warn("checkpoints: {}", ok.error().message);
  auto name = newest_intact(load_index(record),
                            [&](const std::string& n) { return describe_file(record.checkpoints_dir(), n); });
  return name ? record.options.checkpoint_dir + "/" + *name : std::string();
}

bool has_checkpoint_files(const RunRecord& record) {
  std::error_code ec;
  for (const auto& item : std::filesystem::recursive_directory_iterator(record.checkpoints_dir(), ec)) {
    if (item.is_regular_file() && is_checkpoint_name(item.path().lexically_relative(record.checkpoints_dir()).string()))
      return true;
  }
  return false;
}

Result<std::string> take_checkpoints_of(const RunRecord& from, const RunRecord& to) {
  namespace fs = std::filesystem;
  // Gathered beside the directory first: a copy that fails leaves `to`'s own checkpoints as
  // they were.
  const fs::path incoming = to.dir / "checkpoints.incoming";
  std::error_code ec;
  fs::remove_all(incoming, ec);
  int taken = 0;
  for (const auto& item : fs::recursive_directory_iterator(from.checkpoints_dir(), ec)) {
    if (!item.is_regular_file()) continue;
    const fs::path name = item.path().lexically_relative(from.checkpoints_dir());
    if (!is_checkpoint_name(name.string())) continue;
    const fs::path target = incoming / name;
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (!error) fs::create_hard_link(item.path(), target, error);
    if (error) {
      error.clear();
      fs::copy_file(item.path(), target, fs::copy_options::overwrite_existing, error);
      if (!error) fs::last_write_time(target, fs::last_write_time(item.path(), error), error);
    }
    if (error) {
      fs::remove_all(incoming, ec);
      return make_error(ErrorKind::io, "cannot copy checkpoint " + item.path().string() + " to " + target.string() +
                                           ": " + error.message());
    }
    ++taken;
  }
  if (ec) return make_error(ErrorKind::io, "cannot read " + from.checkpoints_dir().string() + ": " + ec.message());
  if (taken == 0) return make_error(ErrorKind::io, "run " + from.id + " has no checkpoint at home to copy");
  fs::remove_all(to.checkpoints_dir(), ec);
  fs::remove(index_file(to), ec);
  fs::rename(incoming, to.checkpoints_dir(), ec);
  if (ec)
    return make_error(ErrorKind::io,
                      "cannot move checkpoints into " + to.checkpoints_dir().string() + ": " + ec.message());
  if (auto ok = record_checkpoints(to); !ok) return ok.error();
  return checkpoint_to_resume(to);
}

}  // namespace choline::records
