#include "segbench/log/mllog_reader.hpp"

#include <fmt/format.h>

namespace segbench::mllog {

std::vector<LoggedEvent> read_mllog(std::istream& in, std::vector<std::string>& problems) {
  constexpr std::string_view token = ":::MLLOG";
  std::vector<LoggedEvent> events;
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    const auto at = text.find(token);
    if (at == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text.substr(at + token.size()));
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    for (const char* field : {"time_ms", "key", "value", "metadata", "event_type"}) {
      if (!j.contains(field))
        problems.push_back(fmt::format("line {}: missing '{}'", number, field));
    }
    if (!j.contains("key") || !j["key"].is_string() || !j.contains("metadata")) continue;
    events.push_back({j.value("event_type", ""), j["key"].get<std::string>(),
                      j.value("value", nlohmann::json()), j["metadata"], j.value("time_ms", 0.0),
                      number});
  }
  return events;
}

}  // namespace segbench::mllog
