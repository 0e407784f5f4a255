#pragma once
// Runs one piece of work per item on its own thread and collects the results in item order:
// for waits on providers and networks (renting, preparing, launching on several hosts), where
// each item spends seconds waiting, not computing. One item runs on the calling thread.

#include <cstddef>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace choline::util {

template <class Item, class Work>
auto parallel_map(const std::vector<Item>& items, Work&& work) -> std::vector<decltype(work(items.front()))> {
  using Out = decltype(work(items.front()));
  std::vector<std::optional<Out>> results(items.size());
  if (items.size() == 1) {
    results[0].emplace(work(items[0]));
  } else {
    std::vector<std::thread> threads;
    threads.reserve(items.size());
    for (std::size_t k = 0; k < items.size(); ++k) {
      threads.emplace_back([&, k] { results[k].emplace(work(items[k])); });
    }
    for (auto& thread : threads) thread.join();
  }
  std::vector<Out> out;
  out.reserve(items.size());
  for (auto& result : results) out.push_back(std::move(*result));
  return out;
}

}  // namespace choline::util
