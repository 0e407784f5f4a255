#include <choline/version.hpp>

#ifndef CHOLINE_VERSION
#error "CHOLINE_VERSION must be defined by the build"
#endif

namespace choline {

const char* version() { return CHOLINE_VERSION; }

}  // namespace choline
