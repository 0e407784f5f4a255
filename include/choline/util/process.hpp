#pragma once

#include <string>

namespace choline::util {

// The absolute path of the running executable: /proc/self/exe, or argv[0] made absolute where
// /proc is not mounted (a bare chroot). Used to start this same binary again.
std::string self_exe_path();

// Called once from main so self_exe_path has a fallback.
void remember_argv0(const char* argv0);

}  // namespace choline::util
