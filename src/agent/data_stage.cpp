#include <choline/agent/data_stage.hpp>

#include <choline/agent/archive.hpp>
#include <choline/agent/data_cache.hpp>
#include <choline/agent/download.hpp>
#include <choline/limits.hpp>
#include <choline/sync/path_safety.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/json.hpp>
#include <choline/util/sha256.hpp>

#include <spdlog/spdlog.h>

#include <chrono>

namespace choline::agent {

namespace fs = std::filesystem;

namespace {

// The request of data-fetch is small; more than this on stdin is not one.
constexpr std::size_t k_max_fetch_request = 1 << 20;
// Progress lines of a download come at most this often.
constexpr std::chrono::milliseconds k_progress_every{500};

Status say(transport::Stream& stdio, const std::string& line) {
  const std::string text = line + "\n";
  return stdio.write_all(text.data(), text.size());
}

std::uint64_t limit_bytes(const StageTarget& target, const DataCache& cache) {
  if (target.limit_gb) return static_cast<std::uint64_t>(*target.limit_gb * 1e9);
  return default_cache_limit(cache.free_bytes(), cache.total_bytes());
}

Status check_target(const StageTarget& target) {
  if (!is_data_id(target.id)) return make_error(ErrorKind::usage, "not a data id: " + target.id);
  if (auto ok = sync::validate_relative_path(target.to); !ok)
    return make_error(ErrorKind::usage, "bad --to: " + ok.error().message);
  if (target.work_dir.empty() || target.run_root.empty())
    return make_error(ErrorKind::usage, "--work-dir and --run-root are required");
  return {};
}

// Opens the cache and takes the id's lock, telling the laptop while it waits.
struct Held {
  DataCache cache;
  DataLock lock;
};
Result<Held> open_and_lock(const StageTarget& target, transport::Stream& stdio) {
  if (auto ok = check_target(target); !ok) return ok.error();
  auto cache = DataCache::open(target.cache_dir);
  if (!cache) return cache.error();
  auto lock = cache->lock(target.id, [&] { (void)say(stdio, "wait"); });
  if (!lock) return lock.error();
  return Held{std::move(*cache), std::move(*lock)};
}

// The end both verbs share: link the entry into the run, then trim the cache to its limit.
Status link_and_trim(const Held& held, const StageTarget& target, const DataEntryMeta& meta) {
  if (auto ok = held.cache.use(meta, target.work_dir, target.to, target.run_root); !ok) return ok;
  for (const auto& id : held.cache.evict(limit_bytes(target, held.cache), 0))
    spdlog::info("data cache: evicted {}", id);
  return {};
}

// Removes a stage unless it was published (then it is gone under its own name anyway).
struct StageGuard {
  const DataCache& cache;
  fs::path stage;
  bool published = false;
  ~StageGuard() {
    if (!published) cache.discard(stage);
  }
};

}  // namespace

Status serve_data_push(const PushRequest& request, transport::Stream& stdio) {
  const StageTarget& target = request.target;
  if (target.id.rfind("tree-", 0) != 0)
    return make_error(ErrorKind::usage, "data-push takes tree ids, got " + target.id);
  if (!request.file_name.empty()) {
    if (auto ok = sync::validate_relative_path(request.file_name);
        !ok || request.file_name.find('/') != std::string::npos) {
      return make_error(ErrorKind::usage, "bad --file " + request.file_name);
    }
  }
  auto held = open_and_lock(target, stdio);
  if (!held) return held.error();
  if (auto meta = held->cache.published(target.id)) {
    if (auto ok = say(stdio, "have " + std::to_string(meta->files) + " " + std::to_string(meta->bytes)); !ok) return ok;
    return link_and_trim(*held, target, *meta);
  }
  // Room for what comes, before it comes.
  for (const auto& id : held->cache.evict(limit_bytes(target, held->cache), request.bytes)) {
    spdlog::info("data cache: evicted {}", id);
  }
  auto stage = held->cache.begin_stage(target.id);
  if (!stage) return stage.error();
  StageGuard guard{held->cache, *stage};
  // The previous version, held while its files are linked (an eviction skips what is locked).
  // Seeding only saves transfer: if it cannot be done, everything is sent.
  auto base = held->cache.newest_from(request.source);
  if (base) {
    auto base_lock = held->cache.try_lock(base->id);
    Status seeded =
        base_lock ? held->cache.seed_stage(*stage, base->id) : Status(make_error(ErrorKind::io, "it is being evicted"));
    if (!seeded) {
      spdlog::warn("data: not seeding from {}: {}", base->id, seeded.error().message);
      held->cache.discard(*stage);
      auto fresh = held->cache.begin_stage(target.id);
      if (!fresh) return fresh.error();
      guard.stage = *stage = *fresh;
      base.reset();
    }
  }
  const std::string need = base ? std::to_string(base->files) + " " + std::to_string(base->bytes) : "0 0";
  if (auto ok = say(stdio, "need " + need); !ok) return ok;

  // The stage must end up holding exactly the sender's list: no ignore file spares anything
  // seeded from the base version.
  sync::SyncOptions options;
  options.delete_extraneous = true;
  options.ignore_files = sync::IgnoreFiles::none;
  auto stats = sync::run_receiver(*stage / "data", stdio, options);
  if (!stats) return stats.error();
  stdio.close_write();
  if (!stats->errors.empty()) {
    return make_error(ErrorKind::remote, std::to_string(stats->errors.size()) +
                                             " files did not arrive whole, the first: " + stats->errors.front());
  }
  // The content must be what its id says before anyone can use it under that id.
  auto listing = sync::scan_tree(*stage / "data", sync::IgnoreRules::with_defaults(), sync::IgnoreFiles::none);
  if (!listing) return listing.error();
  auto digest =
      sync::digest_tree(*stage / "data", *listing, base ? held->cache.hashes_of(base->id) : sync::FileHashes{});
  if (!digest) return digest.error();
  if (tree_data_id(digest->digest) != target.id) {
    return make_error(ErrorKind::remote, "the data changed while it was sent (it arrived as " +
                                             tree_data_id(digest->digest) + "); send it again");
  }
  DataEntryMeta meta{target.id,     request.source, request.file_name.empty() ? "data" : "data/" + request.file_name,
                     digest->files, digest->bytes,  util::now_iso8601()};
  if (auto ok = held->cache.publish(*stage, meta, digest->hashes); !ok) return ok;
  guard.published = true;
  return link_and_trim(*held, target, meta);
}

Status serve_data_fetch(const StageTarget& target, transport::Stream& stdio) {
  std::string text;
  if (auto ok = transport::read_to_end(stdio,
                                       [&](std::string_view chunk) -> Status {
                                         text.append(chunk);
                                         if (text.size() > k_max_fetch_request)
                                           return make_error(ErrorKind::usage, "the fetch request is too large");
                                         return {};
                                       });
      !ok) {
    return ok;
  }
  auto parsed = util::parse_json(text, limits::k_max_json_depth);
  if (!parsed || !parsed->is_object())
    return make_error(ErrorKind::usage, "data-fetch: expected a JSON object on stdin");
  util::JsonReader in(*parsed, "the fetch request");
  DownloadRequest download{in.string("url"), {}, in.string("sha256"), in.string("shown")};
  const bool extract = in.boolean("extract", false);
  const std::string name = in.string("name", "download");
  const nlohmann::json headers = in.object("headers");  // held: items() refers to it
  for (const auto& [header, value] : headers.items()) {
    if (value.is_string()) download.headers[header] = value.get<std::string>();
  }
  if (!in.ok() || download.url.empty() || !util::is_sha256_hex(download.sha256)) {
    return make_error(ErrorKind::usage, "data-fetch: the request needs \"url\" and \"sha256\"");
  }
  if (target.id != url_data_id(download.sha256, extract))
    return make_error(ErrorKind::usage, "data-fetch: the id does not match the sha256");
  if (auto ok = sync::validate_relative_path(name); !ok || name.find('/') != std::string::npos) {
    return make_error(ErrorKind::usage, "data-fetch: bad file name " + name);
  }

  auto held = open_and_lock(target, stdio);
  if (!held) return held.error();
  if (auto meta = held->cache.published(target.id)) {
    if (auto ok = say(stdio, "have " + std::to_string(meta->files) + " " + std::to_string(meta->bytes)); !ok) return ok;
    return link_and_trim(*held, target, *meta);
  }
  auto stage = held->cache.begin_stage(target.id);
  if (!stage) return stage.error();
  StageGuard guard{held->cache, *stage};
  const fs::path part = *stage / "download.part";

  DownloadOptions options;
  options.tools = download_tools_from_env();
  const std::uint64_t room = held->cache.free_bytes();
  options.max_bytes = room > limits::k_min_free_disk_bytes ? room - limits::k_min_free_disk_bytes : 0;
  auto last_progress = std::chrono::steady_clock::now() - k_progress_every;
  options.on_progress = [&](std::uint64_t bytes, int attempt) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress < k_progress_every) return;
    last_progress = now;
    (void)say(stdio, "progress " + std::to_string(bytes) + " " + std::to_string(attempt));
  };
  options.on_retry = [&](int attempt, const std::string& why) {
    (void)say(stdio, "retry " + std::to_string(attempt) + " " + why);
  };
  auto downloaded = download_file(download, part, options);
  if (!downloaded) return downloaded.error();

  DataEntryMeta meta{target.id, download.shown, "data", 0, 0, util::now_iso8601()};
  if (extract) {
    if (auto ok = say(stdio, "extract"); !ok) return ok;
    const std::uint64_t free_now = held->cache.free_bytes();
    ExtractLimits bounds;
    bounds.max_bytes = free_now > limits::k_min_free_disk_bytes ? free_now - limits::k_min_free_disk_bytes : 0;
    auto stats = extract_archive(part, *stage / "data", bounds);
    if (!stats) return stats.error();
    for (const auto& skipped : stats->skipped)
      spdlog::warn("data: skipped {} (not a file, directory or link)", skipped);
    meta.files = stats->files;
    meta.bytes = stats->bytes;
    fs::remove(part);
  } else {
    std::error_code ec;
    fs::rename(part, *stage / "data" / name, ec);
    if (ec) return make_error(ErrorKind::io, "cannot move the download into place: " + ec.message());
    meta.target = "data/" + name;
    meta.files = 1;
    meta.bytes = downloaded->bytes;
  }
  if (auto ok = held->cache.publish(*stage, meta, {}); !ok) return ok;
  guard.published = true;
  if (auto ok = link_and_trim(*held, target, meta); !ok) return ok;
  return say(stdio, "done " + std::to_string(meta.files) + " " + std::to_string(meta.bytes) + " " +
                        std::to_string(downloaded->bytes));
}

Status serve_data_list(const std::string& cache_dir, transport::Stream& stdio) {
  auto cache = DataCache::open(cache_dir);
  if (!cache) return cache.error();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& entry : cache->entries()) {
    const auto meta = cache->published(entry.id);
    list.push_back({{"id", entry.id},
                    {"fingerprint", data_id_fingerprint(entry.id)},
                    {"source", meta ? meta->source : ""},
                    {"files", meta ? meta->files : 0},
                    {"bytes", entry.bytes},
                    {"last_used", entry.last_used_s},
                    {"in_use", entry.in_use}});
  }
  return say(stdio, util::dump_json(list));
}

}  // namespace choline::agent
