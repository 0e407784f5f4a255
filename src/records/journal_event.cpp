#include <choline/records/journal_event.hpp>

#include <array>
#include <utility>

namespace choline::records {

namespace {

constexpr std::array<std::pair<JournalEvent, std::string_view>, 18> k_names = {{
    {JournalEvent::created, "created"},
    {JournalEvent::host_created, "host_created"},
    {JournalEvent::host_up, "host_up"},
    {JournalEvent::host_ready, "host_ready"},
    {JournalEvent::host_lost, "host_lost"},
    {JournalEvent::host_released, "host_released"},
    {JournalEvent::release_failed, "release_failed"},
    {JournalEvent::provision_failed, "provision_failed"},
    {JournalEvent::replacement_wait, "replacement_wait"},
    {JournalEvent::interpreter_chosen, "interpreter_chosen"},
    {JournalEvent::data_staged, "data_staged"},
    {JournalEvent::attempt_started, "attempt_started"},
    {JournalEvent::launched, "launched"},
    {JournalEvent::attempt_ended, "attempt_ended"},
    {JournalEvent::detached, "detached"},
    {JournalEvent::reattached, "reattached"},
    {JournalEvent::resumed, "resumed"},
    {JournalEvent::finished, "finished"},
}};

}  // namespace

const char* to_string(JournalEvent kind) {
  for (const auto& [k, name] : k_names) {
    if (k == kind) return name.data();
  }
  return "unknown";
}

std::optional<JournalEvent> journal_event_from(std::string_view name) {
  for (const auto& [kind, text] : k_names) {
    if (text == name) return kind;
  }
  return std::nullopt;
}

std::optional<JournalEvent> kind_of(const nlohmann::json& event) {
  if (!event.is_object()) return std::nullopt;
  const auto type = event.find("type");
  if (type == event.end() || !type->is_string()) return std::nullopt;
  return journal_event_from(type->get_ref<const std::string&>());
}

bool is_event(const nlohmann::json& event, JournalEvent kind) {
  return kind_of(event) == kind;
}

}  // namespace choline::records
