#pragma once
/// Enum ↔ name tables: the one place their lookups are written. An enum keeps its table of
/// {value, name} pairs beside its Name/Parse functions (roles, error codes, dialog flows, WeCom
/// message and event types) and answers with these.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "wedesk/common/text.hpp"

namespace wedesk {

template <class E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

/// The name of `value`; nullopt when the table does not list it.
template <class E, std::size_t N>
constexpr std::optional<std::string_view> NameIn(const NameTable<E, N>& table, E value) {
    for (const auto& [v, name] : table) {
        if (v == value) {
            return name;
        }
    }
    return std::nullopt;
}

/// The value named exactly `name`; nullopt for any other name.
template <class E, std::size_t N>
constexpr std::optional<E> ValueIn(const NameTable<E, N>& table, std::string_view name) {
    for (const auto& [v, n] : table) {
        if (n == name) {
            return v;
        }
    }
    return std::nullopt;
}

/// As ValueIn, comparing ASCII letters case-insensitively.
template <class E, std::size_t N>
std::optional<E> ValueInIgnoringCase(const NameTable<E, N>& table, std::string_view name) {
    const std::string lower = text::AsciiLower(name);
    for (const auto& [v, n] : table) {
        if (text::AsciiLower(n) == lower) {
            return v;
        }
    }
    return std::nullopt;
}

}  // namespace wedesk
