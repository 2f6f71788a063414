// The two transports every session is written once over: plain TCP and TLS (Beast's ssl_stream
// over the same tcp_stream, so timeouts work alike). Sessions are class templates over the
// stream, explicitly instantiated for both in their .cpp files.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <type_traits>

namespace octopus::server {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

template <typename Stream>
inline constexpr bool is_tls_v = std::is_same_v<Stream, TlsStream>;

}  // namespace octopus::server
