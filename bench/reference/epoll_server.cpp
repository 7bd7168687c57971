// apikit-bench-epoll-floor: the floor of the server benchmark.
//
// A raw epoll loop on one thread that parses nothing: it counts the ends of
// request headers ("\r\n\r\n") in the bytes it reads and writes one copy of a
// canned response for each. What it costs per request is what loopback TCP
// and the kernel cost alone, so no HTTP server can do better on this machine.
//
//   apikit-bench-epoll-floor --port <port> --response <file>
//
// <file> holds one raw HTTP response (status line, headers, body), captured
// from the sample server by bench/run. Requests must carry no body, as wrk's
// GET requests do. It listens on 127.0.0.1 only and runs until killed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void die(char const* what) {
    std::fprintf(stderr, "apikit-bench-epoll-floor: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

[[noreturn]] void usage() {
    std::fputs("usage: apikit-bench-epoll-floor --port <port> --response <file>\n", stderr);
    std::exit(2);
}

// Per-connection state. The terminator may straddle two reads, so the number
// of its bytes matched so far is carried over; responses owed but not yet
// written (the socket buffer was full) wait as a count plus an offset into the
// first one.
struct connection {
    bool open = false;
    bool want_write = false;
    unsigned matched = 0;
    std::uint64_t owed = 0;
    std::size_t offset = 0;
};

// Advances the "\r\n\r\n" matcher over data and returns how many terminators
// ended in it.
std::uint64_t count_header_ends(std::string_view data, unsigned& matched) {
    static constexpr std::string_view terminator = "\r\n\r\n";
    std::uint64_t ends = 0;
    for (char const c : data) {
        if (c == terminator[matched]) {
            if (++matched == terminator.size()) {
                ++ends;
                matched = 0;
            }
        } else {
            // The only proper prefix that can restart a match is "\r".
            matched = c == '\r' ? 1 : 0;
        }
    }
    return ends;
}

class floor_server {
public:
    floor_server(int listener, std::string response)
        : listener_(listener)
        , response_(std::move(response)) {
        epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_ < 0)
            die("epoll_create1");
        watch(listener_, EPOLLIN, EPOLL_CTL_ADD);
    }

    [[noreturn]] void run() {
        std::array<epoll_event, 64> events{};
        for (;;) {
            int const n = ::epoll_wait(epoll_, events.data(), int(events.size()), -1);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                die("epoll_wait");
            }
            for (int i = 0; i < n; ++i) {
                int const fd = events[std::size_t(i)].data.fd;
                if (fd == listener_) {
                    accept_all();
                    continue;
                }
                std::uint32_t const mask = events[std::size_t(i)].events;
                if (mask & (EPOLLIN | EPOLLERR | EPOLLHUP))
                    on_readable(fd);
                if ((mask & EPOLLOUT) && connections_[std::size_t(fd)].open)
                    flush(fd);
            }
        }
    }

private:
    void watch(int fd, std::uint32_t mask, int op) {
        epoll_event ev{};
        ev.events = mask;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_, op, fd, &ev) < 0)
            die("epoll_ctl");
    }

    void accept_all() {
        for (;;) {
            int const fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
                    return;
                if (errno == EMFILE || errno == ENFILE) {
                    std::fprintf(stderr, "apikit-bench-epoll-floor: accept: %s\n",
                                 std::strerror(errno));
                    return;
                }
                die("accept4");
            }
            if (std::size_t(fd) >= connections_.size())
                connections_.resize(std::size_t(fd) + 1);
            connections_[std::size_t(fd)] = connection{.open = true};
            watch(fd, EPOLLIN, EPOLL_CTL_ADD);
        }
    }

    void close_connection(int fd) {
        connections_[std::size_t(fd)] = connection{};
        ::close(fd); // closing also removes it from the epoll set
    }

    // One read per readiness event: level-triggered epoll reports the socket
    // again if more is waiting, and a second read that would only return
    // EAGAIN is a syscall the floor must not pay.
    void on_readable(int fd) {
        connection& c = connections_[std::size_t(fd)];
        ssize_t const got = ::read(fd, buffer_.data(), buffer_.size());
        if (got == 0) {
            close_connection(fd);
            return;
        }
        if (got < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                close_connection(fd);
            return;
        }
        c.owed += count_header_ends({buffer_.data(), std::size_t(got)}, c.matched);
        if (c.owed != 0 && !c.want_write)
            flush(fd);
    }

    // Writes what is owed with as few syscalls as the socket allows: one
    // writev of every owed copy (bounded by the iovec array) per call.
    void flush(int fd) {
        connection& c = connections_[std::size_t(fd)];
        while (c.owed != 0) {
            std::array<iovec, 64> iov{};
            std::size_t count = 0;
            std::size_t offset = c.offset;
            for (std::uint64_t k = 0; k < c.owed && count < iov.size(); ++k, ++count) {
                iov[count].iov_base = const_cast<char*>(response_.data()) + offset;
                iov[count].iov_len = response_.size() - offset;
                offset = 0;
            }
            ssize_t sent = ::writev(fd, iov.data(), int(count));
            if (sent < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    if (!c.want_write) {
                        c.want_write = true;
                        watch(fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
                    }
                    return;
                }
                if (errno == EINTR)
                    continue;
                close_connection(fd);
                return;
            }
            // Retire every response the write completed; keep the offset
            // into the one it stopped inside.
            auto remaining = std::size_t(sent);
            while (remaining != 0) {
                std::size_t const left = response_.size() - c.offset;
                if (remaining < left) {
                    c.offset += remaining;
                    break;
                }
                remaining -= left;
                c.offset = 0;
                --c.owed;
            }
        }
        if (c.want_write) {
            c.want_write = false;
            watch(fd, EPOLLIN, EPOLL_CTL_MOD);
        }
    }

    int listener_;
    int epoll_ = -1;
    std::string response_;
    std::vector<connection> connections_;
    std::array<char, 64 * 1024> buffer_{};
};

} // namespace

int main(int argc, char** argv) {
    long port = -1;
    char const* response_path = nullptr;
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            char* end = nullptr;
            port = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || port < 1 || port > 65535)
                usage();
        } else if (arg == "--response" && i + 1 < argc) {
            response_path = argv[++i];
        } else {
            usage();
        }
    }
    if (port < 0 || response_path == nullptr)
        usage();

    std::ifstream in(response_path, std::ios::binary);
    std::string response{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.is_open() || in.bad()) {
        std::fprintf(stderr, "apikit-bench-epoll-floor: cannot open or read %s\n", response_path);
        return 1;
    }
    if (response.empty() || response.find("\r\n\r\n") == std::string::npos) {
        std::fprintf(stderr, "apikit-bench-epoll-floor: %s is not a raw HTTP response\n",
                     response_path);
        return 1;
    }

    int const listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0)
        die("socket");
    int const one = 1;
    if (::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        die("setsockopt");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr const*>(&address), sizeof address) < 0)
        die("bind");
    if (::listen(listener, SOMAXCONN) < 0)
        die("listen");

    floor_server{listener, std::move(response)}.run();
}
