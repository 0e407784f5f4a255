#pragma once

namespace choline {

// The release version, set by CMake from project(VERSION).
const char* version();

}  // namespace choline
