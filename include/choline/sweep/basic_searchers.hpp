#pragma once
// The two searchers that do not learn: W&B's grid and random search.

#include <choline/sweep/searcher.hpp>
#include <choline/sweep/space.hpp>

#include <cstdint>
#include <memory>

namespace choline::sweep {

// Every combination of the parameters' grid values (sampling.hpp's grid_values), in W&B's order:
// entries in path order, the last varying fastest (itertools.product). A point adopted from a
// journal is not asked again. Exhausted (ask gives nullopt) once every point was asked or
// adopted; failed trials are not retried (that is the executor's call). Every entry must be
// griddable (check_sweep_config).
std::unique_ptr<Searcher> make_grid_searcher(const SearchSpace& space);

// Independent draws of every parameter (sampling.hpp), from a generator seeded with `seed`.
std::unique_ptr<Searcher> make_random_searcher(const SearchSpace& space, std::uint64_t seed);

}  // namespace choline::sweep
