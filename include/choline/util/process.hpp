#pragma once

#include <string>

namespace choline::util {

// The absolute path of the running executable (/proc/self/exe), used to start this same binary
// as the agent of a local host.
std::string self_exe_path();

}  // namespace choline::util
