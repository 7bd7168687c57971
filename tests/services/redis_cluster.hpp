#ifndef APIKIT_TESTS_SERVICES_REDIS_CLUSTER_HPP
#define APIKIT_TESTS_SERVICES_REDIS_CLUSTER_HPP

// A private Redis Cluster, for tests that kill a node or move a slot (and
// must not do it to the shared fixture's, tests/services/redis_cluster.sh):
// N primaries with R replicas each, on 127.0.0.1, every node in a directory of
// its own under one temporary directory, with no persistence. The constructor
// starts the nodes, joins them with `redis-cli --cluster create` and waits
// until the cluster is whole; the destructor kills them (SIGKILL, waited for)
// and removes the directory.
//
// Ports are at most 55535, as the cluster bus listens on port + 10000. The
// node timeout is 500 ms (unless `extra` sets --cluster-node-timeout), so a
// killed primary's replica takes over in about 2 s. Each node logs to a file
// (not a pipe, as redis_server.hpp does: the logs of a cluster that fails
// long after its start are what explains it); readiness is the log's "Ready
// to accept connections". Every wait is bounded and polls an outside state
// (a log, a process, a node's answer) every 10-20 ms; nothing sleeps for
// time. A start that fails throws std::runtime_error with the nodes' logs.
//
// The helper talks to the nodes without apikit, over a blocking loopback
// socket per command (command()): a test of the client must not depend on it.
// Single-threaded: use one from the test's thread.
//
// The binaries are $APIKIT_REDIS_SERVER and $APIKIT_REDIS_CLI, else
// redis-server and redis-cli on the PATH.

#include "redis_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace apikit_test {

class redis_cluster {
public:
    /// Starts `primaries` primaries (at least 3, redis-cli's minimum) with
    /// `replicas_per_primary` replicas each; `extra` are more `--name value`
    /// arguments for every node.
    explicit redis_cluster(int primaries = 3, int replicas_per_primary = 1,
                           std::vector<std::string> extra = {})
        : primaries_(primaries)
        , replicas_(replicas_per_primary)
        , extra_(std::move(extra)) {
        if (primaries < 3 || replicas_per_primary < 0)
            throw std::invalid_argument("a Redis Cluster needs at least 3 primaries");
        char tmpl[] = "/tmp/apikit-redis-cluster-test.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        try {
            int const count = primaries * (1 + replicas_per_primary);
            for (int i = 0; i < count; ++i)
                start_node(i);
            create();
            if (!wait_until([this] { return whole(); }, std::chrono::seconds(60)))
                throw std::runtime_error("the cluster did not become whole in 60 s");
            read_roles();
        } catch (std::exception const& e) {
            std::string const why = std::string(e.what()) + "\n" + logs();
            remove();
            throw std::runtime_error("Redis Cluster did not start: " + why);
        }
    }

    redis_cluster(redis_cluster const&) = delete;
    redis_cluster& operator=(redis_cluster const&) = delete;

    ~redis_cluster() { remove(); }

    /// Every node's port: the primaries, in the order of the first slot they
    /// own, then the replicas, those of the first primary first.
    [[nodiscard]] std::vector<std::uint16_t> const& ports() const noexcept { return ports_; }
    /// The roles as they were at start: a failover does not change them here.
    [[nodiscard]] std::vector<std::uint16_t> primary_ports() const {
        return {ports_.begin(), ports_.begin() + primaries_};
    }
    [[nodiscard]] std::vector<std::uint16_t> replica_ports() const {
        return {ports_.begin() + primaries_, ports_.end()};
    }
    /// The replicas of a primary, as at start.
    [[nodiscard]] std::vector<std::uint16_t> replicas_of(std::uint16_t primary) const {
        std::vector<std::uint16_t> out;
        for (auto const& [port, n] : nodes_)
            if (n.primary == primary)
                out.push_back(port);
        return out;
    }
    [[nodiscard]] std::string const& node_id(std::uint16_t port) const { return node(port).id; }
    /// The node's process id; -1 once it is killed, stopped or has exited.
    [[nodiscard]] pid_t pid(std::uint16_t port) {
        reap(node(port));
        return node(port).pid;
    }

    /// Kills a node at once, as a crash would (SIGKILL), and waits for it.
    void kill(std::uint16_t port) { signal_and_wait(node(port), SIGKILL); }
    /// Stops a node as an operator would (SIGTERM), and waits for it.
    void stop(std::uint16_t port) { signal_and_wait(node(port), SIGTERM); }

    /// Polls `done()` every 20 ms until it holds; false if `timeout` passes
    /// first. For a state outside the test: a failover, a migration.
    template <class Pred>
    [[nodiscard]] bool wait_until(Pred done, std::chrono::milliseconds timeout) {
        auto const end = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }

    /// Until every live node says cluster_state:ok with all 16384 slots
    /// served. Right after a kill it still holds until the nodes notice (one
    /// node timeout): wait for the failover itself first (primary_of_slot).
    [[nodiscard]] bool wait_until_ok(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        return wait_until(
            [this] {
                for (auto const& [port, n] : nodes_)
                    if (live(port) && !info_ok(port))
                        return false;
                return true;
            },
            timeout);
    }

    /// The port of the primary that every live node says owns `slot`; 0
    /// while they disagree (a failover or a migration going on) or none that
    /// has not failed does.
    [[nodiscard]] std::uint16_t primary_of_slot(std::uint16_t slot) {
        std::uint16_t agreed = 0;
        bool first = true;
        for (auto const& [port, n] : nodes_) {
            if (!live(port))
                continue;
            std::uint16_t owner = 0;
            try {
                for (auto const& line : cluster_nodes(port))
                    if (line.primary() && line.owns(slot))
                        owner = line.port;
            } catch (std::runtime_error const&) {
                return 0;
            }
            if (!first && owner != agreed)
                return 0;
            agreed = owner;
            first = false;
        }
        return agreed;
    }

    /// Sends one command to a node and returns its reply as text: a string
    /// or status as it is, an integer in decimal, nil as "", an array's
    /// elements one a line. Throws std::runtime_error on an error reply
    /// (with its text) or when the node does not answer within 5 s — so a
    /// command run for its effect (CLUSTER SETSLOT, MIGRATE) may drop it.
    std::string command(std::uint16_t port, std::vector<std::string> const& argv) {
        return resp_call(port, argv);
    }

    /// What every node says of the cluster (CLUSTER NODES), for a failure
    /// message.
    [[nodiscard]] std::string describe() {
        std::string out;
        for (auto const& [port, n] : nodes_) {
            out += "node 127.0.0.1:" + std::to_string(port);
            if (!live(port)) {
                out += ": down\n";
                continue;
            }
            try {
                out += " says:\n" + command(port, {"CLUSTER", "NODES"});
            } catch (std::runtime_error const& e) {
                out += std::string(": ") + e.what() + "\n";
            }
        }
        return out;
    }

    static std::string cli_binary() {
        char const* env = std::getenv("APIKIT_REDIS_CLI");
        return env && *env ? env : "redis-cli";
    }

private:
    struct node_state {
        std::filesystem::path dir;
        pid_t pid = -1;
        std::string id;
        std::uint16_t primary = 0; // a replica's primary at start; 0 for a primary
    };

    // One line of CLUSTER NODES.
    struct node_line {
        std::string id;
        std::uint16_t port = 0;
        std::vector<std::string> flags;
        std::string primary_id; // "-" for a primary
        std::string link;
        std::vector<std::pair<int, int>> slots;

        bool has(std::string_view flag) const {
            return std::find(flags.begin(), flags.end(), flag) != flags.end();
        }
        bool primary() const { return has("master") && !has("fail"); }
        bool replica() const { return has("slave"); }
        bool owns(int slot) const {
            return std::any_of(slots.begin(), slots.end(),
                               [&](auto r) { return r.first <= slot && slot <= r.second; });
        }
    };

    node_state& node(std::uint16_t port) {
        auto it = nodes_.find(port);
        if (it == nodes_.end())
            throw std::invalid_argument("no node of this cluster on port " + std::to_string(port));
        return it->second;
    }
    node_state const& node(std::uint16_t port) const {
        return const_cast<redis_cluster*>(this)->node(port);
    }

    bool live(std::uint16_t port) {
        auto& n = node(port);
        reap(n);
        return n.pid > 0;
    }

    // A node that exited by itself is reaped, and known as gone.
    static void reap(node_state& n) {
        if (n.pid > 0 && ::waitpid(n.pid, nullptr, WNOHANG) == n.pid)
            n.pid = -1;
    }

    static void signal_and_wait(node_state& n, int signal) {
        if (n.pid <= 0)
            return;
        ::kill(n.pid, signal);
        while (::waitpid(n.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        n.pid = -1;
    }

    void remove() noexcept {
        for (auto& [port, n] : nodes_)
            if (n.pid > 0)
                ::kill(n.pid, SIGKILL);
        for (auto& [port, n] : nodes_)
            signal_and_wait(n, SIGKILL);
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    // A port for a node: free with its bus port (+ 10000), at most 55535,
    // and clear of our other nodes' ports and bus ports.
    std::uint16_t pick_port() {
        std::uniform_int_distribution<int> pick(20000, 55535);
        for (int attempt = 0; attempt < 200; ++attempt) {
            auto const port = static_cast<std::uint16_t>(pick(random_));
            bool clash = false;
            for (auto const& [p, n] : nodes_)
                clash = clash || port == p || port == p + 10000 || port + 10000 == p;
            if (!clash && bindable(port) && bindable(static_cast<std::uint16_t>(port + 10000)))
                return port;
        }
        throw std::runtime_error("no free port pair below 55536");
    }

    static bool bindable(std::uint16_t port) {
        int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        bool const ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
    }

    // Runs a program with stdin from /dev/null and its output to `output`.
    static pid_t spawn(std::vector<std::string> args, std::filesystem::path const& output) {
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        // The test's own sockets stay out of the child (see redis_server.hpp).
        posix_spawn_file_actions_addclosefrom_np(&actions, 3);
        pid_t pid = -1;
        int const rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0)
            throw std::runtime_error(args[0] + " could not be run (" + std::strerror(rc) +
                                     "): './dev deps' installs redis-server and redis-cli");
        return pid;
    }

    static std::string read_file(std::filesystem::path const& path) {
        std::ifstream in(path);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    void start_node(int index) {
        auto const dir = dir_ / std::to_string(index);
        std::filesystem::create_directory(dir);
        for (int attempt = 0; attempt < 10; ++attempt) {
            auto const port = pick_port();
            std::vector<std::string> args{redis_server::binary(),
                                          "--port",
                                          std::to_string(port),
                                          "--bind",
                                          "127.0.0.1",
                                          "--cluster-enabled",
                                          "yes",
                                          "--cluster-config-file",
                                          "nodes.conf",
                                          "--cluster-node-timeout",
                                          "500",
                                          "--repl-diskless-sync-delay",
                                          "0",
                                          "--save",
                                          "",
                                          "--appendonly",
                                          "no",
                                          "--dir",
                                          dir.string(),
                                          "--daemonize",
                                          "no",
                                          "--logfile",
                                          (dir / "redis.log").string(),
                                          "--enable-debug-command",
                                          "local"};
            args.insert(args.end(), extra_.begin(), extra_.end());
            std::filesystem::remove(dir / "nodes.conf");
            std::filesystem::remove(dir / "redis.log");
            node_state n{dir, spawn(std::move(args), dir / "output.log"), {}, 0};
            // Ready by its own log; gone without it: the port was taken
            // after all (or an argument is bad, which the logs will say).
            bool ready = false;
            bool const decided = wait_until(
                [&] {
                    reap(n);
                    ready = read_file(dir / "redis.log").find("Ready to accept connections") !=
                            std::string::npos;
                    return ready || n.pid <= 0;
                },
                std::chrono::seconds(20));
            if (ready) {
                nodes_.emplace(port, std::move(n));
                ports_.push_back(port);
                return;
            }
            signal_and_wait(n, SIGKILL);
            if (!decided)
                break;
        }
        throw std::runtime_error("node " + std::to_string(index) + " did not start");
    }

    void create() {
        std::vector<std::string> args{cli_binary(), "--cluster", "create"};
        for (auto port : ports_)
            args.push_back("127.0.0.1:" + std::to_string(port));
        args.insert(args.end(), {"--cluster-replicas", std::to_string(replicas_), "--cluster-yes"});
        pid_t pid = spawn(std::move(args), dir_ / "create.log");
        int status = 0;
        bool const exited = wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; },
                                       std::chrono::seconds(60));
        if (!exited) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            throw std::runtime_error("redis-cli --cluster create did not finish in 60 s");
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw std::runtime_error("redis-cli --cluster create failed");
    }

    // cluster_state:ok with every slot served, by this node.
    bool info_ok(std::uint16_t port) {
        try {
            auto const info = command(port, {"CLUSTER", "INFO"});
            return info.find("cluster_state:ok\r\n") != std::string::npos &&
                   info.find("cluster_slots_ok:16384\r\n") != std::string::npos;
        } catch (std::runtime_error const&) {
            return false;
        }
    }

    // Whole: every node is ok and knows every other, each sees the primaries
    // and replicas, all connected and none failing, and every replica has
    // synced with its primary (one that has not cannot take over).
    bool whole() {
        auto const count = ports_.size();
        auto const replicas = static_cast<std::size_t>(primaries_ * replicas_);
        try {
            for (auto port : ports_) {
                if (!info_ok(port))
                    return false;
                auto const lines = cluster_nodes(port);
                std::size_t primaries = 0, replicas_seen = 0;
                for (auto const& l : lines) {
                    if (l.link != "connected" || l.has("fail") || l.has("fail?") ||
                        l.has("handshake") || l.has("noaddr"))
                        return false;
                    primaries += l.has("master") ? 1 : 0;
                    replicas_seen += l.replica() ? 1 : 0;
                    if (l.has("myself") && l.replica() &&
                        command(port, {"INFO", "replication"}).find("master_link_status:up") ==
                            std::string::npos)
                        return false;
                }
                if (lines.size() != count || primaries != count - replicas ||
                    replicas_seen != replicas)
                    return false;
            }
            return true;
        } catch (std::runtime_error const&) {
            return false;
        }
    }

    // Ids and roles from the first node's view, and ports_ in their order.
    void read_roles() {
        auto const lines = cluster_nodes(ports_.front());
        std::vector<node_line const*> primaries;
        for (auto const& l : lines) {
            node(l.port).id = l.id;
            if (l.primary())
                primaries.push_back(&l);
        }
        std::sort(primaries.begin(), primaries.end(),
                  [](auto a, auto b) { return a->slots.at(0).first < b->slots.at(0).first; });
        ports_.clear();
        for (auto const* p : primaries)
            ports_.push_back(p->port);
        for (auto const* p : primaries)
            for (auto const& l : lines)
                if (l.replica() && l.primary_id == p->id) {
                    ports_.push_back(l.port);
                    node(l.port).primary = p->port;
                }
        if (ports_.size() != nodes_.size())
            throw std::runtime_error("CLUSTER NODES does not name every node:\n" +
                                     command(ports_.front(), {"CLUSTER", "NODES"}));
    }

    std::vector<node_line> cluster_nodes(std::uint16_t port) {
        std::vector<node_line> out;
        std::istringstream text(command(port, {"CLUSTER", "NODES"}));
        for (std::string line; std::getline(text, line);) {
            std::istringstream fields(line);
            node_line l;
            std::string address, flags, ping, pong, epoch;
            if (!(fields >> l.id >> address >> flags >> l.primary_id >> ping >> pong >> epoch >>
                  l.link))
                continue;
            // ip:port@bus[,hostname]
            auto const colon = address.rfind(':', address.find('@'));
            l.port = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
            std::istringstream f(flags);
            for (std::string flag; std::getline(f, flag, ',');)
                l.flags.push_back(flag);
            // "first-last" or "slot"; "[slot->-id]" (a migration) is not owned
            for (std::string range; fields >> range;) {
                if (range.front() == '[')
                    continue;
                auto const dash = range.find('-');
                int const first = std::stoi(range.substr(0, dash));
                l.slots.emplace_back(
                    first, dash == std::string::npos ? first : std::stoi(range.substr(dash + 1)));
            }
            out.push_back(std::move(l));
        }
        return out;
    }

    // --- A blocking RESP client: one connection per command, 5 s timeouts.

    static std::string resp_call(std::uint16_t port, std::vector<std::string> const& argv) {
        std::string const where = "127.0.0.1:" + std::to_string(port);
        int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw std::runtime_error("socket failed");
        struct closer {
            int fd;
            ~closer() { ::close(fd); }
        } const guard{fd};
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error(where + ": " + std::strerror(errno));
        std::string out = "*" + std::to_string(argv.size()) + "\r\n";
        for (auto const& arg : argv)
            out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
        for (std::size_t sent = 0; sent < out.size();) {
            ssize_t const n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw std::runtime_error(where + ": " + std::strerror(errno));
            sent += static_cast<std::size_t>(n);
        }
        resp_reader in{fd, where, {}};
        return in.reply();
    }

    struct resp_reader {
        int fd;
        std::string where;
        std::string buf;

        std::string line() {
            for (;;) {
                if (auto const end = buf.find("\r\n"); end != std::string::npos) {
                    std::string l = buf.substr(0, end);
                    buf.erase(0, end + 2);
                    return l;
                }
                fill();
            }
        }
        void fill() {
            char chunk[4096];
            ssize_t const n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR)
                return;
            if (n <= 0)
                throw std::runtime_error(where + ": " +
                                         (n == 0 ? "closed the connection" : std::strerror(errno)));
            buf.append(chunk, static_cast<std::size_t>(n));
        }
        std::string reply() {
            std::string const l = line();
            if (l.empty())
                throw std::runtime_error(where + ": an empty reply line");
            std::string const rest = l.substr(1);
            switch (l.front()) {
            case '+':
            case ':':
                return rest;
            case '-':
                throw std::runtime_error(where + " answered: " + rest);
            case '$': {
                long const size = std::stol(rest);
                if (size < 0)
                    return {};
                while (buf.size() < static_cast<std::size_t>(size) + 2)
                    fill();
                std::string s = buf.substr(0, static_cast<std::size_t>(size));
                buf.erase(0, static_cast<std::size_t>(size) + 2);
                return s;
            }
            case '*': {
                long const count = std::stol(rest);
                std::string s;
                for (long i = 0; i < count; ++i) {
                    std::string e = reply();
                    s += e;
                    if (e.empty() || e.back() != '\n')
                        s += '\n';
                }
                return s;
            }
            default:
                throw std::runtime_error(where + ": not RESP: " + l);
            }
        }
    };

    // The last lines of every log, for the message of a failed start.
    std::string logs() const {
        std::string out;
        auto tail = [&](std::filesystem::path const& path) {
            std::string const text = read_file(path);
            if (text.empty())
                return;
            std::size_t from = text.size();
            for (int lines = 0; lines <= 30 && from > 0; ++lines) {
                auto const newline = text.rfind('\n', from - 1);
                from = newline == std::string::npos ? 0 : newline;
            }
            out += "==> " + path.string() + " <==\n" + text.substr(from) + "\n";
        };
        std::error_code ec;
        for (auto const& entry : std::filesystem::directory_iterator(dir_, ec))
            if (entry.is_directory()) {
                tail(entry.path() / "output.log");
                tail(entry.path() / "redis.log");
            }
        tail(dir_ / "create.log");
        return out;
    }

    int primaries_;
    int replicas_;
    std::vector<std::string> extra_;
    std::filesystem::path dir_;
    std::map<std::uint16_t, node_state> nodes_;
    std::vector<std::uint16_t> ports_;
    std::mt19937 random_{std::random_device{}()};
};

} // namespace apikit_test

#endif
