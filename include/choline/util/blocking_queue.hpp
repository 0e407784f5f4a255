#pragma once
// A closable multi-producer queue: pop() blocks until an item arrives or the queue is closed
// and drained. Used to hand work between a protocol's reader and writer threads.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace choline::util {

template <class T>
class BlockingQueue {
 public:
  void push(T item) {
    {
      std::lock_guard lock(m_mutex);
      m_items.push_back(std::move(item));
    }
    m_ready.notify_one();
  }

  // No more items will come; pop() returns std::nullopt once the queue is empty.
  void close() {
    {
      std::lock_guard lock(m_mutex);
      m_closed = true;
    }
    m_ready.notify_all();
  }

  std::optional<T> pop() {
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [this] { return !m_items.empty() || m_closed; });
    if (m_items.empty()) return std::nullopt;
    T item = std::move(m_items.front());
    m_items.pop_front();
    return item;
  }

  // Returns an item if one is waiting, without blocking.
  std::optional<T> try_pop() {
    std::lock_guard lock(m_mutex);
    if (m_items.empty()) return std::nullopt;
    T item = std::move(m_items.front());
    m_items.pop_front();
    return item;
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<T> m_items;
  bool m_closed = false;
};

}  // namespace choline::util
