#include <choline/sweep/basic_searchers.hpp>

#include <choline/sweep/dimension.hpp>
#include <choline/sweep/sampling.hpp>
#include <choline/sweep/tpe.hpp>

#include <set>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

class GridSearcher final : public Searcher {
 public:
  explicit GridSearcher(const SearchSpace& space) : m_space(space) {
    for (const auto& entry : m_space.entries) {
      m_values.push_back(grid_values(entry.parameter));
      m_total *= m_values.back().size();
    }
  }

  std::optional<json> ask(int) override {
    while (m_next < m_total && m_taken.count(m_next)) ++m_next;
    if (m_next >= m_total) return std::nullopt;
    m_taken.insert(m_next);
    return point(m_next++);
  }

  void tell(int, const TrialOutcome&) override {}

  Status adopt(int, const json& params) override {
    // The point's index, mixed radix with the last entry fastest.
    std::size_t index = 0;
    for (std::size_t e = 0; e < m_space.entries.size(); ++e) {
      const auto value = SearchSpace::lookup(params, m_space.entries[e].path);
      if (!value)
        return make_error(ErrorKind::usage, "the trial's parameters lack '" + m_space.entries[e].name() + "'");
      std::size_t digit = m_values[e].size();
      for (std::size_t i = 0; i < m_values[e].size(); ++i) {
        if (m_values[e][i] == *value) {
          digit = i;
          break;
        }
      }
      if (digit == m_values[e].size()) {
        return make_error(ErrorKind::usage,
                          "'" + m_space.entries[e].name() + "' = " + value->dump() + " is not a point of the grid");
      }
      index = index * m_values[e].size() + digit;
    }
    m_taken.insert(index);
    return {};
  }

 private:
  json point(std::size_t index) const {
    std::vector<json> values(m_space.entries.size());
    for (std::size_t e = m_space.entries.size(); e-- > 0;) {
      values[e] = m_values[e][index % m_values[e].size()];
      index /= m_values[e].size();
    }
    return m_space.assemble(values);
  }

  SearchSpace m_space;
  std::vector<std::vector<json>> m_values;
  std::size_t m_total = 1;
  std::size_t m_next = 0;
  std::set<std::size_t> m_taken;
};

class RandomSearcher final : public Searcher {
 public:
  RandomSearcher(const SearchSpace& space, std::uint64_t seed) : m_space(space), m_rng(seed) {
    for (const auto& entry : m_space.entries) m_dimensions.push_back(dimension_of(entry.parameter));
  }

  std::optional<json> ask(int) override { return sample_params(m_space, m_rng); }
  void tell(int, const TrialOutcome&) override {}
  Status adopt(int, const json& params) override {
    auto coordinates = encode_params(m_space, m_dimensions, params);
    if (!coordinates) return coordinates.error();
    return {};
  }

 private:
  SearchSpace m_space;
  std::vector<Dimension> m_dimensions;
  Rng m_rng;
};

}  // namespace

std::unique_ptr<Searcher> make_grid_searcher(const SearchSpace& space) {
  return std::make_unique<GridSearcher>(space);
}

std::unique_ptr<Searcher> make_random_searcher(const SearchSpace& space, std::uint64_t seed) {
  return std::make_unique<RandomSearcher>(space, seed);
}

std::unique_ptr<Searcher> make_searcher(const SweepConfig& config, std::uint64_t seed) {
  switch (config.method) {
    case Method::grid:
      return make_grid_searcher(config.space);
    case Method::bayes:
      return make_tpe_searcher(config.space, config.goal(), config.tpe, seed);
    case Method::random:
    case Method::pbt:
      break;
  }
  return make_random_searcher(config.space, seed);
}

}  // namespace choline::sweep
