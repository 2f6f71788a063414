// Result<T>: a value or a protocol Error. Errors are values with codes; nothing on the decode
// path throws.
#pragma once

#include <utility>
#include <variant>

#include "protocol/errors.hpp"

namespace octopus::protocol {

template <typename T>
class Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

}  // namespace octopus::protocol
