#include "providers/local_provider.hpp"
#include "providers/provider.hpp"
#include "providers/ssh_provider.hpp"

namespace choline::providers {

Result<std::unique_ptr<Provider>> make_provider(const spec::RunOptions& options) {
  if (options.provider == "local") return make_local_provider();
  if (options.provider == "ssh") return make_ssh_provider(options.hosts);
  return make_error(ErrorKind::unsupported, "provider '" + options.provider +
                                                "' is not built yet in this version of choline; use local or ssh");
}

}  // namespace choline::providers
