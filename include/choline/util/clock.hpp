#pragma once

#include <string>

namespace choline::util {

// UTC wall-clock time as "2026-11-23T15:25:01.123Z", for records and logs.
std::string now_iso8601();

}  // namespace choline::util
