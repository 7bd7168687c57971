// apikit-bench-client: the small HTTP/1.1 client bench/run drives the servers
// with. A fresh machine has no curl, and the harness needs the raw bytes of a
// response exactly as a keep-alive client receives them, which curl would not
// give it anyway.
//
//   apikit-bench-client free-port
//       prints a TCP port that is free on 127.0.0.1 right now
//   apikit-bench-client wait --port <p> [--timeout-ms <ms>]
//       waits until something accepts connections on 127.0.0.1:<p>
//   apikit-bench-client request --port <p> --target <t> [--method <m>]
//           [--body <json>] [--header 'Name: value']... [--count <n>]
//           [--expect <status>] [--out <file>] [--compare <file>]
//       sends <n> requests (default 1) on one keep-alive connection; "{i}" in
//       the target or body becomes the request's number, 1 to <n>; each
//       --header is sent as it is, after Host (e.g. an Authorization). Every
//       response must carry a Content-Length and, with --expect, that status;
//       with --compare, equal the file byte for byte. --out writes the raw
//       bytes of the last response.
//
// Exit status: 0 on success, 1 when a check fails, 2 on bad usage.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void usage() {
    std::fputs("usage: apikit-bench-client free-port\n"
               "       apikit-bench-client wait --port <p> [--timeout-ms <ms>]\n"
               "       apikit-bench-client request --port <p> --target <t> [--method <m>]\n"
               "           [--body <json>] [--header 'Name: value']... [--count <n>]\n"
               "           [--expect <status>] [--out <file>] [--compare <file>]\n",
               stderr);
    std::exit(2);
}

[[noreturn]] void fail(std::string const& what) {
    std::fprintf(stderr, "apikit-bench-client: %s\n", what.c_str());
    std::exit(1);
}

std::string errno_text(char const* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

long parse_number(char const* text, long low, long high) {
    char* end = nullptr;
    errno = 0;
    long const n = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n < low || n > high)
        usage();
    return n;
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

class socket_fd {
public:
    socket_fd() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        if (fd_ < 0)
            fail(errno_text("socket"));
    }
    socket_fd(socket_fd const&) = delete;
    socket_fd& operator=(socket_fd const&) = delete;
    ~socket_fd() { ::close(fd_); }
    int get() const { return fd_; }

private:
    int fd_;
};

bool try_connect(socket_fd const& s, std::uint16_t port) {
    sockaddr_in const address = loopback(port);
    return ::connect(s.get(), reinterpret_cast<sockaddr const*>(&address), sizeof address) == 0;
}

int free_port() {
    socket_fd s;
    sockaddr_in address = loopback(0);
    if (::bind(s.get(), reinterpret_cast<sockaddr const*>(&address), sizeof address) < 0)
        fail(errno_text("bind"));
    socklen_t size = sizeof address;
    if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&address), &size) < 0)
        fail(errno_text("getsockname"));
    std::printf("%u\n", unsigned(ntohs(address.sin_port)));
    return 0;
}

int wait_listening(std::uint16_t port, long timeout_ms) {
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (try_connect(socket_fd{}, port))
            return 0;
        if (std::chrono::steady_clock::now() >= deadline)
            fail("nothing listens on 127.0.0.1:" + std::to_string(port));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// A --header value: "Name: value" with a token for a name and no line break,
// so that it cannot end the header early or smuggle a second request.
std::string checked_field(char const* text) {
    std::string_view const field = text;
    std::size_t const colon = field.find(':');
    auto const tchar = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    };
    if (colon == 0 || colon == std::string_view::npos ||
        !std::all_of(field.begin(), field.begin() + std::ptrdiff_t(colon), tchar) ||
        field.find_first_of("\r\n") != std::string_view::npos)
        usage();
    return std::string(field);
}

struct raw_response {
    std::string bytes;
    int status = 0;
};

// Reads one response framed by Content-Length. Anything else (chunked, close
// delimited) is refused: the benchmark's servers all send Content-Length, and
// a capture must be a response a keep-alive client can reuse as it is.
raw_response read_response(int fd, std::string& pending) {
    std::size_t header_end = std::string::npos;
    std::optional<std::size_t> total;
    char chunk[16 * 1024];
    for (;;) {
        if (header_end == std::string::npos) {
            header_end = pending.find("\r\n\r\n");
            if (header_end != std::string::npos) {
                header_end += 4;
                std::string_view const head(pending.data(), header_end);
                std::size_t line = head.find("\r\n") + 2;
                std::optional<std::size_t> length;
                while (line < header_end - 2) {
                    std::size_t const eol = head.find("\r\n", line);
                    std::string_view const field = head.substr(line, eol - line);
                    std::size_t const colon = field.find(':');
                    if (colon == std::string_view::npos)
                        fail("malformed header line in response");
                    std::string_view const name = field.substr(0, colon);
                    std::string_view value = field.substr(colon + 1);
                    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                        value.remove_prefix(1);
                    if (iequals(name, "transfer-encoding"))
                        fail("response uses Transfer-Encoding; only Content-Length is supported");
                    if (iequals(name, "content-length"))
                        length = std::size_t(parse_number(std::string(value).c_str(), 0, 1L << 30));
                    line = eol + 2;
                }
                if (!length)
                    fail("response has no Content-Length");
                total = header_end + *length;
            }
        }
        if (total && pending.size() >= *total)
            break;
        ssize_t const got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got == 0)
            fail("server closed the connection before the response ended");
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fail(errno_text("recv"));
        }
        pending.append(chunk, std::size_t(got));
        if (header_end == std::string::npos && pending.size() > 64 * 1024)
            fail("response header larger than 64 KiB");
    }
    raw_response r;
    r.bytes = pending.substr(0, *total);
    pending.erase(0, *total);
    // "HTTP/1.1 200 OK": the status is the three digits after the first space.
    std::size_t const space = r.bytes.find(' ');
    if (!r.bytes.starts_with("HTTP/1.") || space == std::string::npos || r.bytes.size() < space + 4)
        fail("malformed status line in response");
    r.status = int(parse_number(r.bytes.substr(space + 1, 3).c_str(), 100, 599));
    return r;
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t const sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            fail(errno_text("send"));
        }
        data.remove_prefix(std::size_t(sent));
    }
}

std::string read_file(char const* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open())
        fail(std::string("cannot open ") + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct request_options {
    std::uint16_t port = 0;
    std::string method = "GET";
    std::string target;
    std::optional<std::string> body;
    std::vector<std::string> headers; // "Name: value", each sent as a line of its own
    long count = 1;
    int expect = 0;
    char const* out = nullptr;
    char const* compare = nullptr;
};

int run_requests(request_options const& o) {
    std::optional<std::string> const expected =
        o.compare ? std::optional<std::string>(read_file(o.compare)) : std::nullopt;
    socket_fd s;
    timeval const timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (!try_connect(s, o.port))
        fail(errno_text("connect"));
    std::string pending;
    raw_response last;
    for (long i = 1; i <= o.count; ++i) {
        std::string const n = std::to_string(i);
        std::string request = o.method + ' ' + replace_all(o.target, "{i}", n) +
                              " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o.port) + "\r\n";
        for (auto const& field : o.headers)
            request += field + "\r\n";
        if (o.body) {
            std::string const body = replace_all(*o.body, "{i}", n);
            request +=
                "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body;
        } else {
            request += "\r\n";
        }
        send_all(s.get(), request);
        last = read_response(s.get(), pending);
        if (o.expect != 0 && last.status != o.expect)
            fail("request " + n + ": status " + std::to_string(last.status) + ", expected " +
                 std::to_string(o.expect) + "\n" + last.bytes);
        if (expected && last.bytes != *expected) {
            auto const diff = std::mismatch(last.bytes.begin(), last.bytes.end(), expected->begin(),
                                            expected->end());
            fail("request " + n + ": response differs from " + o.compare + " at byte " +
                 std::to_string(diff.first - last.bytes.begin()));
        }
    }
    if (!pending.empty())
        fail("bytes after the last response");
    if (o.out) {
        std::ofstream out(o.out, std::ios::binary);
        out << last.bytes;
        if (!out.flush())
            fail(std::string("cannot write ") + o.out);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        usage();
    std::string_view const command = argv[1];
    if (command == "free-port") {
        if (argc != 2)
            usage();
        return free_port();
    }

    request_options o;
    long timeout_ms = 10'000;
    for (int i = 2; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (i + 1 >= argc)
            usage();
        char const* value = argv[++i];
        if (arg == "--port")
            o.port = std::uint16_t(parse_number(value, 1, 65535));
        else if (arg == "--timeout-ms" && command == "wait")
            timeout_ms = parse_number(value, 1, 600'000);
        else if (command != "request")
            usage();
        else if (arg == "--target")
            o.target = value;
        else if (arg == "--method")
            o.method = value;
        else if (arg == "--body")
            o.body = value;
        else if (arg == "--header")
            o.headers.push_back(checked_field(value));
        else if (arg == "--count")
            o.count = parse_number(value, 1, 1'000'000);
        else if (arg == "--expect")
            o.expect = int(parse_number(value, 100, 599));
        else if (arg == "--out")
            o.out = value;
        else if (arg == "--compare")
            o.compare = value;
        else
            usage();
    }
    if (o.port == 0)
        usage();
    if (command == "wait")
        return wait_listening(o.port, timeout_ms);
    if (command != "request" || o.target.empty() || o.target.front() != '/')
        usage();
    return run_requests(o);
}
