#ifndef APIKIT_HTTP_OPTIONS_HPP
#define APIKIT_HTTP_OPTIONS_HPP

// The server's knobs. Every limit has a status it is answered with (see
// docs/http.md): a header section over `header_limit` is a 431, a body over
// `body_limit` a 413, a request not received within its timeout a 408.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace apikit::http {

struct server_options {
    /// Address to listen on. Loopback by default: exposing a server is a
    /// decision, not a default.
    std::string address = "127.0.0.1";
    /// Port to listen on; 0 asks the kernel for a free one (read it back with
    /// `server::port()`).
    std::uint16_t port = 8080;
    /// Worker threads, each running its own event loop; every connection
    /// stays on the thread that accepted it.
    unsigned threads = 1;

    /// Largest request line plus header fields, in bytes (431 beyond).
    std::uint32_t header_limit = 16 * 1024;
    /// Largest request body, in bytes (413 beyond, decided from
    /// Content-Length before the body is read when there is one).
    std::uint64_t body_limit = 1024 * 1024;

    /// From the first byte of a request to the end of its header section. It
    /// is not extended by progress, so a client trickling its header a byte
    /// at a time (slowloris) is cut off after this long.
    std::chrono::milliseconds header_timeout{10'000};
    /// From the end of the header section to the end of the body.
    std::chrono::milliseconds body_timeout{30'000};
    /// How long a keep-alive connection may wait for its next request.
    std::chrono::milliseconds idle_timeout{60'000};
    /// How long writing one batch of responses may take before the client is
    /// taken to have stopped reading.
    std::chrono::milliseconds write_timeout{30'000};
    /// How long a graceful shutdown waits for in-flight requests before it
    /// closes what is left.
    std::chrono::milliseconds shutdown_grace{10'000};

    /// Stop gracefully on SIGINT and SIGTERM.
    bool handle_signals = true;
    /// Pending connections the kernel queues before accept.
    int backlog = 1024;
};

} // namespace apikit::http

#endif
