#pragma once
// JSON values written as Python writes them, because W&B's agent puts str(value) on the
// training script's command line (--lr=1e-05, --flag=True, --layers=[64, 128]) and scripts parse
// exactly that.

#include <nlohmann/json.hpp>

#include <string>

namespace choline::sweep {

// Python's str(): strings as they are, True/False/None, floats as repr (0.001, 1e-05, 3.0,
// 1e+16, inf, nan), lists and dicts with repr'd items ([64, 128], ['a', 'b'], {'lr': 0.001}).
std::string python_str(const nlohmann::json& value);
// Python's repr(): the same, with strings quoted ('relu', "it's").
std::string python_repr(const nlohmann::json& value);
// repr() of a float alone: the shortest text that reads back to the same double.
std::string python_float_repr(double value);

}  // namespace choline::sweep
