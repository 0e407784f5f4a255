#pragma once

#include "providers/provider.hpp"

namespace choline::providers {

std::unique_ptr<Provider> make_local_provider();

}  // namespace choline::providers
