// The gpg-agent client (lib/src/keys/gpg_agent/): its parsers on hostile input, a scripted
// Assuan peer, socket discovery checked against gpgconf, and the real gpg-agent in a private
// GnuPG home (KEYINFO and PKDECRYPT of a message gpg made).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "keys/gpg_agent/agent_client.hpp"
#include "keys/gpg_agent/agent_socket.hpp"
#include "keys/gpg_agent/assuan_connection.hpp"
#include "keys/gpg_agent/assuan_lines.hpp"
#include "keys/gpg_agent/canonical_sexp.hpp"
#include "keys/gpg_agent/key_info.hpp"
#include "keys/gpg_agent/socket_dir.hpp"
#include "keys/gpg_agent/zbase32.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit::detail::gpg_agent;
using sopskit::test::run;
using Clock = std::chrono::steady_clock;

namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

std::string sq(const fs::path& p) { return "'" + p.string() + "'"; }

long elapsed_ms(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// ---- parsers -------------------------------------------------------------------------------

TEST(GpgAgentParsers, Zbase32MatchesTheSpecAndGnupg) {
    EXPECT_EQ(zbase32_encode(std::string("\xf0\xbf\xc7", 3)), "6n9hq");
    EXPECT_EQ(zbase32_encode(std::string(1, '\0')), "yy");
    EXPECT_EQ(zbase32_encode("hello"), "pb1sa5dx");
    EXPECT_EQ(zbase32_encode(""), "");
    // gpgconf --list-dirs socketdir for GNUPGHOME=/tmp/xyz under a /run/user folder.
    EXPECT_EQ(hashed_home_folder("/tmp/xyz"), "d.uuc3riyqngpjkh17hxkkkj64");
}

TEST(GpgAgentParsers, HomeNameAsGnupgWritesIt) {
    SocketDirInputs in;
    in.home = "/home/u";
    in.cwd = "/work";
    EXPECT_EQ(gnupg_home_name(in), "/home/u/.gnupg");
    in.gnupghome = "/srv/keys///";
    EXPECT_EQ(gnupg_home_name(in), "/srv/keys");
    in.gnupghome = "rel/keys/";
    EXPECT_EQ(gnupg_home_name(in), "/work/rel/keys");
    in.gnupghome = "~/g";
    EXPECT_EQ(gnupg_home_name(in), "/home/u/g");
    in.homedir = "/opt/h";  // the caller's home wins over $GNUPGHOME
    EXPECT_EQ(gnupg_home_name(in), "/opt/h");
    in.homedir = "~other/g";  // a passwd look-up: left to gpg
    EXPECT_EQ(gnupg_home_name(in), std::nullopt);
    in.homedir.clear();
    in.gnupghome.clear();
    in.home.clear();
    EXPECT_EQ(gnupg_home_name(in), std::nullopt);
}

TEST(GpgAgentParsers, AnswerLines) {
    auto ok = parse_answer_line("OK Pleased to meet you, process 42");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->kind, AnswerKind::Ok);
    EXPECT_EQ(parse_answer_line("OK")->kind, AnswerKind::Ok);
    auto err = parse_answer_line("ERR 67108891 Not found <GPG Agent>\r");
    ASSERT_TRUE(err);
    EXPECT_EQ(err->kind, AnswerKind::Err);
    EXPECT_EQ(error_code_of(err->error), 27u);
    EXPECT_EQ(err->rest, "Not found <GPG Agent>");
    auto st = parse_answer_line("S KEYINFO ABC D - -");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->keyword, "KEYINFO");
    EXPECT_EQ(st->rest, "ABC D - -");
    auto inq = parse_answer_line("INQUIRE CIPHERTEXT");
    ASSERT_TRUE(inq);
    EXPECT_EQ(inq->kind, AnswerKind::Inquire);
    EXPECT_EQ(inq->keyword, "CIPHERTEXT");
    EXPECT_EQ(parse_answer_line("D ")->kind, AnswerKind::Data);
    EXPECT_EQ(parse_answer_line("D")->kind, AnswerKind::Data);
    EXPECT_EQ(parse_answer_line("# hi")->kind, AnswerKind::Comment);
    EXPECT_EQ(parse_answer_line("END")->kind, AnswerKind::End);
    for (std::string_view bad : {"", "OKAY", "ERR", "ERR x", "ERR 12x", "ERR 99999999999 big", "S", "S 1ABC", "S  X",
                                 "INQUIRE", "Dx", "END x", "ok", " OK", "BYE"})
        EXPECT_FALSE(parse_answer_line(bad)) << bad;
    EXPECT_TRUE(parse_answer_line("D " + std::string(998, 'a')));
    EXPECT_FALSE(parse_answer_line("D " + std::string(999, 'a')));
}

TEST(GpgAgentParsers, PercentDecoding) {
    EXPECT_EQ(percent_decode("a%25b%0A%0d%7e%00"), std::string("a%b\n\r~\0", 7));
    for (std::string_view bad : {"%", "%4", "%zz", "%4g", "abc%"}) EXPECT_FALSE(percent_decode(bad)) << bad;
    std::uint8_t out[4];
    std::size_t used = 1;
    EXPECT_TRUE(percent_decode_into("%41BC", out, sizeof out, &used));
    EXPECT_EQ(used, 4u);
    EXPECT_FALSE(percent_decode_into("D", out, sizeof out, &used)) << "no room left";
    EXPECT_EQ(used, 4u) << "a refused line appends nothing";
}

TEST(GpgAgentParsers, DataLinesStayWithinTheLimitAndRoundTrip) {
    std::string data;
    for (int i = 0; i < 5000; ++i) data += static_cast<char>(i % 7 == 0 ? '%' : i % 11 == 0 ? '\n' : i % 256);
    std::vector<std::string> lines = data_lines(data);
    ASSERT_GT(lines.size(), 5u);
    std::string back;
    for (const std::string& l : lines) {
        ASSERT_EQ(l.substr(0, 2), "D ");
        ASSERT_EQ(l.back(), '\n');
        ASSERT_LE(l.size() - 1, kAssuanLineMax);
        std::string body = l.substr(2, l.size() - 3);
        EXPECT_EQ(body.find_first_of("\r\n"), std::string::npos);
        auto decoded = percent_decode(body);
        ASSERT_TRUE(decoded) << "an escape was split across lines";
        back += *decoded;
    }
    EXPECT_EQ(back, data);
    EXPECT_TRUE(data_lines("").empty());
}

TEST(GpgAgentParsers, CanonicalSexp) {
    std::size_t used = 0;
    std::string ecdh = "(7:enc-val(4:ecdh(1:s3:abc)(1:e2:\0\n)))";
    ecdh = std::string("(7:enc-val(4:ecdh(1:s3:abc)(1:e2:") + std::string("\0\n", 2) + ")))";
    auto root = parse_canonical_sexp(ecdh, &used);
    ASSERT_TRUE(root);
    EXPECT_EQ(used, ecdh.size());
    ASSERT_EQ(root->items.size(), 2u);
    EXPECT_EQ(root->items[0].atom, "enc-val");
    EXPECT_EQ(root->items[1].items[2].items[1].atom, std::string_view("\0\n", 2));
    EXPECT_TRUE(parse_canonical_sexp("(0:)", &used)) << "an empty atom";
    for (std::string_view bad : {"", "x", "(", "(3:ab)", "(3:abc", "(03:abc)", "(a)", "(3abc)", "( 1:a)", "([1:a]1:b)",
                                 "(99999999999999999999999:a)", "(4294967297:a)", "1:a"})
        EXPECT_FALSE(parse_canonical_sexp(bad, &used)) << bad;
    std::string deep(9, '(');
    deep += std::string(9, ')');
    EXPECT_FALSE(parse_canonical_sexp(deep, &used)) << "over the depth limit";
    EXPECT_TRUE(parse_canonical_sexp(deep.substr(1, 16), &used));
    std::string wide = "(";
    for (int i = 0; i < 70; ++i) wide += "1:a";
    EXPECT_FALSE(parse_canonical_sexp(wide + ")", &used)) << "over the node limit";
    std::string many(100000, '(');  // no stack to exhaust either
    EXPECT_FALSE(parse_canonical_sexp(many, &used));
}

TEST(GpgAgentParsers, PkdecryptValue) {
    std::string value = std::string("(5:value3:") + std::string("\x40\0)", 3) + ")";
    EXPECT_EQ(pkdecrypt_value(value), std::string_view("\x40\0)", 3));
    EXPECT_EQ(pkdecrypt_value(value + std::string(1, '\0')), std::string_view("\x40\0)", 3)) << "the smartcard path's NUL";
    EXPECT_FALSE(pkdecrypt_value(value + "x"));
    EXPECT_FALSE(pkdecrypt_value(value + std::string(2, '\0')));
    EXPECT_FALSE(pkdecrypt_value("(5:value1:a1:b)"));
    EXPECT_FALSE(pkdecrypt_value("(5:vAlue1:a)"));
    EXPECT_FALSE(pkdecrypt_value("(5:value(1:a))"));
    EXPECT_FALSE(pkdecrypt_value("((5:value1:a))"));
    EXPECT_FALSE(pkdecrypt_value("(5:value)"));
}

TEST(GpgAgentParsers, KeyInfo) {
    const std::string grip = "0123456789ABCDEF0123456789ABCDEF01234567";
    auto clear = parse_keyinfo(grip + " D - - - C - - -");
    ASSERT_TRUE(clear);
    EXPECT_TRUE(usable_without_prompt(*clear));
    auto locked = parse_keyinfo(grip + " D - - - P - - -");
    ASSERT_TRUE(locked);
    EXPECT_FALSE(usable_without_prompt(*locked));
    auto cached = parse_keyinfo(grip + " D - - 1 P - - -");
    ASSERT_TRUE(cached);
    EXPECT_TRUE(usable_without_prompt(*cached));
    EXPECT_FALSE(usable_without_prompt(*parse_keyinfo(grip + " T D2760001240102010006 OPENPGP.2 - - - - -"))) << "smartcard";
    EXPECT_FALSE(usable_without_prompt(*parse_keyinfo(grip + " D - - - C - - c"))) << "confirm on use";
    EXPECT_FALSE(usable_without_prompt(*parse_keyinfo(grip + " D - - - C - - D"))) << "disabled";
    EXPECT_FALSE(usable_without_prompt(*parse_keyinfo(grip + " X - - - - - - -")));
    EXPECT_TRUE(usable_without_prompt(*parse_keyinfo(grip + " D - - - C"))) << "an older agent's six fields";
    for (std::string bad : {grip, grip + " D - -", grip + " DD - - - C", grip + " D - - 2 C", grip + " D - - -  C",
                            grip.substr(1) + " D - - - C", "G" + grip.substr(1) + " D - - - C"})
        EXPECT_FALSE(parse_keyinfo(bad)) << bad;
    EXPECT_TRUE(is_keygrip(grip));
    EXPECT_FALSE(is_keygrip(grip + "\nBYE"));
}

TEST(GpgAgentParsers, AssuanRedirect) {
    auto env = [](const std::string& var) -> std::optional<std::string> {
        if (var == "RUN") return std::string("/run/x");
        return std::nullopt;
    };
    EXPECT_EQ(parse_assuan_redirect("%Assuan%\nsocket=/tmp/s\n", env), "/tmp/s");
    EXPECT_EQ(parse_assuan_redirect("%Assuan%\nsocket=${RUN}/S.gpg-agent\n", env), "/run/x/S.gpg-agent");
    EXPECT_EQ(parse_assuan_redirect("%Assuan%\nsocket=${NOPE}/s\n", env), "/s");
    EXPECT_EQ(parse_assuan_redirect("%Assuan%\nsocket=/a\nmore\n", env), "/a") << "libassuan stops at the first newline";
    for (const std::string& bad : std::vector<std::string>{"", "%Assuan%\nsocket=/tmp/s", "%Assuan%\nsocket=\n", "%Assuan%\r\nsocket=/s\n", "%assuan%\nsocket=/s\n",
                            "%Assuan%\nsocket=${RUN/s\n", "%Assuan%\nsocket=" + std::string(200, 'a') + "\n",
                            "%Assuan%\nsocket=/" + std::string(600, 'a') + "\n"})
        EXPECT_FALSE(parse_assuan_redirect(bad, env)) << bad;
}

// ---- socket discovery ----------------------------------------------------------------------

// A listening (or, with listen=false, stale) Unix socket at `path`; returns its fd.
int bind_socket(const std::string& path, bool listen) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
    if (listen) EXPECT_EQ(::listen(fd, 4), 0);
    return fd;
}

TEST(GpgAgentDiscovery, RuntimeFolderRules) {
    fs::path dir = sopskit::test::make_temp_dir();
    SocketDirInputs in;
    in.home = (dir / "home").string();
    in.cwd = "/";
    in.uid = ::getuid();
    in.run_roots = {(dir / "none").string(), (dir / "run").string()};
    fs::path runtime = dir / "run" / "user" / std::to_string(in.uid);
    EXPECT_EQ(agent_socket_dir(in), in.home + "/.gnupg") << "no runtime folder: the home";
    fs::create_directories(runtime);
    EXPECT_EQ(agent_socket_dir(in), std::nullopt) << "runtime folder without gnupg/: no agent has run";
    fs::create_directory(runtime / "gnupg");
    ::chmod((runtime / "gnupg").c_str(), 0700);
    EXPECT_EQ(agent_socket_dir(in), (runtime / "gnupg").string()) << "the default home";
    in.gnupghome = "/srv/other";
    EXPECT_EQ(agent_socket_dir(in), std::nullopt) << "its d.<hash> not made yet";
    fs::path hashed = runtime / "gnupg" / hashed_home_folder("/srv/other");
    fs::create_directory(hashed);
    ::chmod(hashed.c_str(), 0700);
    EXPECT_EQ(agent_socket_dir(in), hashed.string());
    in.gnupghome = in.home + "/.gnupg/";  // the default home by another spelling
    EXPECT_EQ(agent_socket_dir(in), (runtime / "gnupg").string());
    in.gnupghome = "/srv/other";
    ::chmod(hashed.c_str(), 0750);
    EXPECT_EQ(agent_socket_dir(in), "/srv/other") << "a d.<hash> open to the group: the home";
    ::chmod((runtime / "gnupg").c_str(), 0755);
    EXPECT_EQ(agent_socket_dir(in), "/srv/other") << "gnupg/ open to others: the home";
    in.uid += 1;  // someone else's runtime folder
    fs::create_directories(dir / "run" / "user" / std::to_string(in.uid));
    EXPECT_EQ(agent_socket_dir(in), "/srv/other");
}

TEST(GpgAgentDiscovery, SocketsAndRedirects) {
    fs::path dir = sopskit::test::make_temp_dir();
    std::string real = (dir / "real.sock").string();
    int fd = bind_socket(real, true);
    EXPECT_EQ(resolve_agent_socket(real), real);
    std::string redirect = (dir / "S.gpg-agent").string();
    sopskit::test::write_file(redirect, "%Assuan%\nsocket=" + real + "\n");
    EXPECT_EQ(resolve_agent_socket(redirect), real);
    std::string twice = (dir / "twice").string();
    sopskit::test::write_file(twice, "%Assuan%\nsocket=" + redirect + "\n");
    EXPECT_EQ(resolve_agent_socket(twice), std::nullopt) << "followed once only";
    sopskit::test::write_file(redirect, "not a redirect\n");
    EXPECT_EQ(resolve_agent_socket(redirect), std::nullopt);
    EXPECT_EQ(resolve_agent_socket((dir / "missing").string()), std::nullopt);
    ::close(fd);
}

// gpgconf's own answer, for a private home (and, in a private mount namespace where /run/user
// is a temporary folder, for the runtime-folder rule and its d.<hash>).
TEST(GpgAgentDiscovery, MatchesGpgconf) {
    REQUIRE_PROGRAM("gpgconf");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path home = dir / "home", gnupg = dir / "gnupg";
    fs::create_directories(home);
    fs::create_directories(gnupg);
    fs::permissions(gnupg, fs::perms::owner_all, fs::perm_options::replace);
    std::string env = "HOME=" + sq(home) + " GNUPGHOME=" + sq(gnupg) + " ";

    SocketDirInputs in;
    in.gnupghome = gnupg.string();
    in.home = home.string();
    in.cwd = "/";
    in.uid = ::getuid();
    auto r = run(env + "gpgconf --list-dirs agent-socket");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (!fs::exists("/run/user/" + std::to_string(in.uid)) && !fs::exists("/var/run/user/" + std::to_string(in.uid))) {
        auto ours = agent_socket_dir(in);
        ASSERT_TRUE(ours);
        EXPECT_EQ(*ours + "/S.gpg-agent", trimmed(r.out));
    }

    // The runtime-folder rule: /run/user bound to a temporary folder in a private namespace.
    fs::path run_user = dir / "run" / "user";
    fs::create_directories(run_user / std::to_string(in.uid));
    ::chmod((run_user / std::to_string(in.uid)).c_str(), 0700);
    std::string script = "mount --bind " + sq(run_user) + " /run/user && " + env + "gpgconf --list-dirs agent-socket && " + env +
                         "GNUPGHOME= gpgconf --list-dirs agent-socket";
    auto ns = run("unshare -m --propagation private sh -c \"" + script + "\" 2>&1");
    if (ns.exit_code != 0) GTEST_SKIP() << "no private mount namespace here: " << ns.out;
    std::string hashed_line = ns.out.substr(0, ns.out.find('\n'));
    std::string default_line = trimmed(ns.out.substr(ns.out.find('\n') + 1));
    // gpgconf made the folders it named; ours must name the same ones, seen from outside.
    in.run_roots = {(dir / "run").string()};
    auto ours = agent_socket_dir(in);
    ASSERT_TRUE(ours);
    std::string prefix = (dir / "run").string();
    EXPECT_EQ("/run" + ours->substr(prefix.size()) + "/S.gpg-agent", hashed_line);
    EXPECT_NE(hashed_line.find("/d."), std::string::npos);
    in.gnupghome.clear();
    ours = agent_socket_dir(in);
    ASSERT_TRUE(ours);
    EXPECT_EQ("/run" + ours->substr(prefix.size()) + "/S.gpg-agent", default_line);
}

// ---- the connection against a scripted peer ------------------------------------------------

// A peer on the other end of a socket pair: sends `greeting`, then for each command line it
// receives (not a D line) the next scripted answer; records every line. Ends at EOF.
class ScriptedPeer {
public:
    ScriptedPeer(std::string greeting, std::vector<std::string> answers) {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        client_fd = sv[0];
        peer_ = sv[1];
        thread_ = std::thread([this, greeting = std::move(greeting), answers = std::move(answers)] {
            write_all(greeting);
            std::size_t next = 0;
            std::string buffer;
            char chunk[4096];
            for (;;) {
                ssize_t n = ::read(peer_, chunk, sizeof chunk);
                if (n <= 0) break;
                buffer.append(chunk, static_cast<std::size_t>(n));
                std::size_t nl;
                while ((nl = buffer.find('\n')) != std::string::npos) {
                    std::string line = buffer.substr(0, nl);
                    buffer.erase(0, nl + 1);
                    received.push_back(line);
                    bool command = line.substr(0, 2) != "D ";  // END and CAN end an inquiry
                    if (command && next < answers.size()) write_all(answers[next++]);
                }
            }
        });
    }
    ~ScriptedPeer() { finish(); }
    void finish() {
        if (thread_.joinable()) thread_.join();
        if (peer_ >= 0) ::close(peer_);
        peer_ = -1;
    }

    int client_fd = -1;  // handed to AssuanConnection::adopt, which closes it
    std::vector<std::string> received;

private:
    void write_all(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::send(peer_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            s.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    int peer_ = -1;
    std::thread thread_;
};

Deadline soon(int ms = 2000) { return Clock::now() + std::chrono::milliseconds(ms); }

TEST(GpgAgentConnection, InquiryAnsweredWithEscapedDataLines) {
    std::string ciphertext = "(7:enc-val(3:rsa(1:a5:\n%\r\x01\xff)))";
    ScriptedPeer peer("# hello\nS SOMETHING x\nOK Pleased to meet you\n",
                      {"S INQUIRE_MAXLEN 4096\nINQUIRE CIPHERTEXT\n", "S PADDING 0\nD (5:value3:a%25\nD %0A)\nOK\n"});
    std::string why;
    auto conn = AssuanConnection::adopt(peer.client_fd, soon(), &why);
    ASSERT_TRUE(conn) << why;
    AssuanReply reply = conn->transact("PKDECRYPT", {{"CIPHERTEXT", ciphertext}});
    EXPECT_TRUE(reply.ok) << reply.problem;
    EXPECT_EQ(reply.data_view(), "(5:value3:a%\n)");
    ASSERT_TRUE(reply.find_status("PADDING"));
    EXPECT_EQ(reply.find_status("PADDING")->args, "0");
    conn.reset();
    peer.finish();
    ASSERT_GE(peer.received.size(), 3u);
    EXPECT_EQ(peer.received[0], "PKDECRYPT");
    EXPECT_EQ(peer.received[1], "D (7:enc-val(3:rsa(1:a5:%0A%25%0D\x01\xff)))");
    EXPECT_EQ(peer.received[2], "END");
}

TEST(GpgAgentConnection, UnknownInquiryIsCancelled) {
    ScriptedPeer peer("OK\n", {"INQUIRE PASSPHRASE\n", "OK\n"});
    std::string why;
    auto conn = AssuanConnection::adopt(peer.client_fd, soon(), &why);
    ASSERT_TRUE(conn) << why;
    AssuanReply reply = conn->transact("PKDECRYPT", {{"CIPHERTEXT", "(1:a)"}});
    EXPECT_FALSE(reply.ok) << "an OK after CAN still fails the command";
    EXPECT_FALSE(reply.broken);
    conn.reset();
    peer.finish();
    ASSERT_EQ(peer.received.size(), 2u);
    EXPECT_EQ(peer.received[1], "CAN");
}

TEST(GpgAgentConnection, InquiryOverTheServersLimitIsCancelled) {
    ScriptedPeer peer("OK\n", {"S INQUIRE_MAXLEN 4\nINQUIRE CIPHERTEXT\n", "ERR 83886179 Operation cancelled\n"});
    std::string why;
    auto conn = AssuanConnection::adopt(peer.client_fd, soon(), &why);
    ASSERT_TRUE(conn) << why;
    AssuanReply reply = conn->transact("PKDECRYPT", {{"CIPHERTEXT", "(3:abc)"}});
    EXPECT_FALSE(reply.ok);
    EXPECT_EQ(error_code_of(reply.error), 99u);
    conn.reset();
    peer.finish();
    EXPECT_EQ(peer.received.back(), "CAN");
}

TEST(GpgAgentConnection, HostilePeersBreakTheConnectionQuickly) {
    struct Case {
        const char* name;
        std::string answer;
    };
    std::vector<Case> cases = {
        {"a line over the limit", "D " + std::string(2000, 'a') + "\nOK\n"},
        {"more data than allowed", [] {
             std::string s;
             for (int i = 0; i < 70; ++i) s += "D " + std::string(998, 'x') + "\n";
             return s + "OK\n";
         }()},
        {"a malformed line", "HELLO\nOK\n"},
        {"a bad escape", "D %zz\nOK\n"},
        {"endless comments", [] {
             std::string s;
             for (int i = 0; i < 5000; ++i) s += "#\n";
             return s + "OK\n";
         }()},
        {"too many status lines", [] {
             std::string s;
             for (int i = 0; i < 100; ++i) s += "S X\n";
             return s + "OK\n";
         }()},
        {"no end of line", "OK"},
        {"silence", ""},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        ScriptedPeer peer("OK\n", {c.answer});
        std::string why;
        auto conn = AssuanConnection::adopt(peer.client_fd, soon(300), &why);
        ASSERT_TRUE(conn) << why;
        auto start = Clock::now();
        AssuanReply reply = conn->transact("NOP");
        EXPECT_FALSE(reply.ok);
        EXPECT_TRUE(reply.broken);
        EXPECT_LT(elapsed_ms(start), 1500);
        EXPECT_TRUE(conn->transact("NOP").broken) << "a connection out of step is not used again";
    }
}

TEST(GpgAgentConnection, SilentOrRefusingServerGivesNoConnection) {
    {
        ScriptedPeer peer("", {});
        std::string why;
        auto start = Clock::now();
        EXPECT_FALSE(AssuanConnection::adopt(peer.client_fd, soon(200), &why));
        EXPECT_LT(elapsed_ms(start), 1000);
        EXPECT_NE(why.find("deadline"), std::string::npos) << why;
    }
    {
        ScriptedPeer peer("ERR 1 go away\n", {});
        std::string why;
        EXPECT_FALSE(AssuanConnection::adopt(peer.client_fd, soon(), &why));
    }
}

TEST(GpgAgentConnection, ListenerThatNeverAnswersTimesOut) {
    fs::path dir = sopskit::test::make_temp_dir();
    std::string path = (dir / "S.gpg-agent").string();
    int fd = bind_socket(path, true);  // accepts into its backlog, never greets
    NotAvailable why;
    auto start = Clock::now();
    EXPECT_FALSE(AgentSession::open_socket(path, std::chrono::milliseconds(200), &why));
    EXPECT_EQ(why.reason, Unavailable::NoAgent);
    EXPECT_NE(why.detail.find("deadline"), std::string::npos) << why.detail;
    EXPECT_LT(elapsed_ms(start), 1000);
    ::close(fd);
}

TEST(GpgAgentConnection, CommandsAreSingleLines) {
    ScriptedPeer peer("OK\n", {});
    std::string why;
    auto conn = AssuanConnection::adopt(peer.client_fd, soon(), &why);
    ASSERT_TRUE(conn);
    EXPECT_TRUE(conn->transact("KEYINFO x\nKILLAGENT").broken);
    EXPECT_TRUE(conn->transact(std::string(1001, 'A')).broken);
}

// ---- the real gpg-agent --------------------------------------------------------------------

// The body of the first OpenPGP packet (old or new header, definite length).
std::string first_packet(const std::string& m) {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(m.at(i)); };
    if (b(0) & 0x40) {
        std::size_t first = b(1);
        if (first < 192) return m.substr(2, first);
        if (first < 224) return m.substr(3, ((first - 192) << 8) + b(2) + 192);
        return m.substr(6, (std::size_t(b(2)) << 24) | (b(3) << 16) | (b(4) << 8) | b(5));
    }
    std::size_t size = std::size_t(1) << (b(0) & 3), n = 0;
    for (std::size_t i = 0; i < size; ++i) n = (n << 8) | b(1 + i);
    return m.substr(1 + size, n);
}

// A v3 PKESK to an ECDH key as the agent's ciphertext S-expression.
std::string ecdh_ciphertext(const std::string& pkesk) {
    EXPECT_EQ(pkesk.at(0), 3);
    EXPECT_EQ(pkesk.at(9), 18) << "an ECDH key";
    std::size_t bits = (static_cast<unsigned char>(pkesk[10]) << 8) | static_cast<unsigned char>(pkesk[11]);
    std::string point = pkesk.substr(12, (bits + 7) / 8);
    std::string rest = pkesk.substr(12 + point.size());
    std::string wrapped = rest.substr(1, static_cast<unsigned char>(rest[0]));
    return "(7:enc-val(4:ecdh(1:s" + std::to_string(wrapped.size()) + ":" + wrapped + ")(1:e" + std::to_string(point.size()) + ":" +
           point + ")))";
}

class GpgAgentReal : public ::testing::Test {
protected:
    void SetUp() override {
        if (!sopskit::test::have_program("gpg") || !sopskit::test::have_program("gpgconf")) GTEST_SKIP() << "gpg not installed";
        dir_ = sopskit::test::make_temp_dir();
        home_ = dir_ / "g";
        fs::create_directories(home_);
        fs::permissions(home_, fs::perms::owner_all, fs::perm_options::replace);
        // A pinentry that only leaves a mark: the client must never let the agent start one.
        sopskit::test::write_file(dir_ / "pinentry-spy", "#!/bin/sh\ntouch \"$0.ran\"\nexit 1\n");
        fs::permissions(dir_ / "pinentry-spy", fs::perms::owner_all, fs::perm_options::replace);
        sopskit::test::write_file(home_ / "gpg-agent.conf", "pinentry-program " + (dir_ / "pinentry-spy").string() + "\n");
        gpg_ = "HOME=" + sq(dir_) + " GNUPGHOME=" + sq(home_) + " gpg --batch --pinentry-mode loopback ";
        open_fp_ = make_key("open", "");
        locked_fp_ = make_key("locked", "secret words");
        open_grip_ = subkey_grip(open_fp_);
        locked_grip_ = subkey_grip(locked_fp_);
        // Key generation may leave a passphrase in the agent's cache: start from an empty one.
        run("HOME=" + sq(dir_) + " gpgconf --homedir " + sq(home_) + " --reload gpg-agent");
    }
    void TearDown() override {
        if (!dir_.empty()) run("HOME=" + sq(dir_) + " gpgconf --homedir " + sq(home_) + " --kill all");
    }

    std::string make_key(const std::string& name, const std::string& passphrase) {
        std::string pass = "--passphrase '" + passphrase + "' ";
        auto r = run(gpg_ + pass + "--quick-gen-key '" + name + " <" + name + "@example.invalid>' ed25519 cert never");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        auto list = run(gpg_ + "--with-colons --list-keys '" + name + "'");
        std::size_t at = list.out.find("\nfpr:");
        std::string fp = list.out.substr(at + 1, list.out.find('\n', at + 1) - at - 1);
        fp.pop_back();
        fp = fp.substr(fp.rfind(':') + 1);
        auto add = run(gpg_ + pass + "--quick-add-key " + fp + " cv25519 encr never");
        EXPECT_EQ(add.exit_code, 0) << add.err;
        return fp;
    }

    std::string subkey_grip(const std::string& fp) {
        auto r = run(gpg_ + "--with-colons --with-keygrip --list-secret-keys " + fp);
        std::size_t ssb = r.out.find("\nssb:");
        std::size_t grp = r.out.find("\ngrp:", ssb);
        EXPECT_NE(grp, std::string::npos) << r.out;
        std::string line = r.out.substr(grp + 1, r.out.find('\n', grp + 1) - grp - 1);
        line.pop_back();
        return line.substr(line.rfind(':') + 1);
    }

    // A message gpg encrypts to `fp`'s subkey, as the agent's ciphertext S-expression.
    std::string ciphertext_for(const std::string& fp) {
        fs::path plain = dir_ / "plain", message = dir_ / ("msg-" + fp);
        sopskit::test::write_file(plain, "0123456789abcdef0123456789abcdef");
        auto r = run(gpg_ + "--trust-model always --yes -r " + fp + " -o " + sq(message) + " -e " + sq(plain));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return ecdh_ciphertext(first_packet(sopskit::test::read_file(message)));
    }

    std::string socket() {
        auto s = find_agent_socket(home_.string());
        EXPECT_TRUE(s);
        return s.value_or("");
    }

    fs::path dir_, home_;
    std::string gpg_, open_fp_, locked_fp_, open_grip_, locked_grip_;
};

TEST_F(GpgAgentReal, SocketIsWhereGpgconfSaysAndAnswers) {
    auto r = run("HOME=" + sq(dir_) + " gpgconf --homedir " + sq(home_) + " --list-dirs agent-socket");
    EXPECT_EQ(socket(), trimmed(r.out));
    NotAvailable why;
    AgentOptions options;
    options.homedir = home_.string();
    EXPECT_TRUE(AgentSession::open(options, &why)) << why.detail;
}

TEST_F(GpgAgentReal, KeyInfoTellsUnprotectedFromProtected) {
    NotAvailable why;
    auto session = AgentSession::open_socket(socket(), std::chrono::milliseconds(2000), &why);
    ASSERT_TRUE(session) << why.detail;
    EXPECT_EQ(session->check_key(open_grip_), std::nullopt);
    auto locked = session->check_key(locked_grip_);
    ASSERT_TRUE(locked);
    EXPECT_EQ(locked->reason, Unavailable::NeedsPrompt) << locked->detail;
    auto missing = session->check_key("0123456789ABCDEF0123456789ABCDEF01234567");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->reason, Unavailable::KeyMissing) << missing->detail;
    auto bad = session->check_key("not-a-grip");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->reason, Unavailable::Broken);
    EXPECT_EQ(session->check_key(open_grip_), std::nullopt) << "the session is still in step";
}

TEST_F(GpgAgentReal, PkdecryptReturnsTheSharedPointTwice) {
    std::string ciphertext = ciphertext_for(open_fp_);
    AgentOptions options;
    options.homedir = home_.string();
    PkDecryption first = agent_pkdecrypt(options, open_grip_, ciphertext);
    ASSERT_TRUE(first.ok()) << first.not_available->detail;
    ASSERT_EQ(first.value.size(), 33u);
    EXPECT_EQ(first.value.data()[0], 0x40);
    EXPECT_EQ(first.padding, -1);
    PkDecryption second = agent_pkdecrypt(options, open_grip_, ciphertext);
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(first.value.equals(second.value));
    // Another message to the same key has another ephemeral key, so another point.
    PkDecryption other = agent_pkdecrypt(options, open_grip_, ciphertext_for(open_fp_));
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(first.value.equals(other.value));
}

TEST_F(GpgAgentReal, ProtectedKeyFailsFastInsteadOfPrompting) {
    std::string ciphertext = ciphertext_for(locked_fp_);
    AgentOptions options;
    options.homedir = home_.string();
    auto start = Clock::now();
    PkDecryption checked = agent_pkdecrypt(options, locked_grip_, ciphertext);
    ASSERT_FALSE(checked.ok());
    EXPECT_EQ(checked.not_available->reason, Unavailable::NeedsPrompt);
    // Asked directly, past the KEYINFO check: pinentry-mode cancel refuses at once.
    NotAvailable why;
    auto session = AgentSession::open_socket(socket(), std::chrono::milliseconds(5000), &why);
    ASSERT_TRUE(session) << why.detail;
    PkDecryption direct = session->pkdecrypt(locked_grip_, ciphertext);
    ASSERT_FALSE(direct.ok());
    EXPECT_EQ(direct.not_available->reason, Unavailable::NeedsPrompt) << direct.not_available->detail;
    EXPECT_LT(elapsed_ms(start), 2000);
    EXPECT_FALSE(fs::exists(dir_ / "pinentry-spy.ran")) << "the agent started a pinentry";

    // Once gpg has used the passphrase, the agent caches it and the key becomes usable.
    fs::path message = dir_ / ("msg-" + locked_fp_);
    auto r = run(gpg_ + "--passphrase 'secret words' -o /dev/null -d " + sq(message));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    PkDecryption cached = agent_pkdecrypt(options, locked_grip_, ciphertext);
    ASSERT_TRUE(cached.ok()) << cached.not_available->detail;
    EXPECT_EQ(cached.value.size(), 33u);
}

TEST_F(GpgAgentReal, MissingKeyAndBadCiphertext) {
    AgentOptions options;
    options.homedir = home_.string();
    PkDecryption missing = agent_pkdecrypt(options, "0123456789ABCDEF0123456789ABCDEF01234567", ciphertext_for(open_fp_));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.not_available->reason, Unavailable::KeyMissing);
    PkDecryption junk = agent_pkdecrypt(options, open_grip_, "(7:enc-val");
    ASSERT_FALSE(junk.ok());
    EXPECT_EQ(junk.not_available->reason, Unavailable::Broken);
    PkDecryption wrong = agent_pkdecrypt(options, open_grip_, "(7:enc-val(3:rsa(1:a1:x)))");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.not_available->reason, Unavailable::Refused) << wrong.not_available->detail;
}

TEST_F(GpgAgentReal, NoAgentRunningIsNotAvailableQuickly) {
    std::string ciphertext = ciphertext_for(open_fp_);
    std::string path = socket();
    run("HOME=" + sq(dir_) + " gpgconf --homedir " + sq(home_) + " --kill all");
    AgentOptions options;
    options.homedir = home_.string();
    auto start = Clock::now();
    PkDecryption gone = agent_pkdecrypt(options, open_grip_, ciphertext);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.not_available->reason, Unavailable::NoAgent) << gone.not_available->detail;
    // A stale socket file (an agent that died without removing it): refused at once.
    int fd = bind_socket(path, false);
    ::close(fd);
    PkDecryption stale = agent_pkdecrypt(options, open_grip_, ciphertext);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.not_available->reason, Unavailable::NoAgent);
    EXPECT_NE(stale.not_available->detail.find("refused"), std::string::npos) << stale.not_available->detail;
    EXPECT_LT(elapsed_ms(start), 200);
    EXPECT_FALSE(fs::exists(home_ / "S.gpg-agent.extra")) << "no agent was started";
    ::unlink(path.c_str());
}

// An RSA key: the agent returns the decrypted integer, PKCS#1 v1.5 block and all (its leading
// zero byte dropped), which holds the session key gpg used.
TEST_F(GpgAgentReal, PkdecryptWithRsaKey) {
    std::string pass = "--passphrase '' ";
    auto r = run(gpg_ + pass + "--quick-gen-key 'rsa <rsa@example.invalid>' rsa2048 cert never");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto list = run(gpg_ + "--with-colons --list-keys rsa");
    std::size_t at = list.out.find("\nfpr:");
    std::string fp = list.out.substr(at + 1, list.out.find('\n', at + 1) - at - 1);
    fp.pop_back();
    fp = fp.substr(fp.rfind(':') + 1);
    ASSERT_EQ(run(gpg_ + pass + "--quick-add-key " + fp + " rsa2048 encr never").exit_code, 0);
    std::string grip = subkey_grip(fp);
    fs::path plain = dir_ / "plain", message = dir_ / "msg-rsa";
    sopskit::test::write_file(plain, "x");
    ASSERT_EQ(run(gpg_ + "--trust-model always --yes -r " + fp + " -o " + sq(message) + " -e " + sq(plain)).exit_code, 0);
    std::string pkesk = first_packet(sopskit::test::read_file(message));
    ASSERT_EQ(pkesk.at(9), 1) << "an RSA key";
    std::size_t bits = (static_cast<unsigned char>(pkesk[10]) << 8) | static_cast<unsigned char>(pkesk[11]);
    std::string mpi = pkesk.substr(12, (bits + 7) / 8);
    std::string ciphertext = "(7:enc-val(3:rsa(1:a" + std::to_string(mpi.size()) + ":" + mpi + ")))";
    AgentOptions options;
    options.homedir = home_.string();
    PkDecryption d = agent_pkdecrypt(options, grip, ciphertext);
    ASSERT_TRUE(d.ok()) << d.not_available->detail;
    std::string_view v = d.value.view();
    ASSERT_GT(v.size(), 200u);
    EXPECT_EQ(v[0], 2) << "PKCS#1 v1.5 encryption block, leading zero dropped";
    std::size_t zero = v.find('\0', 1);
    ASSERT_NE(zero, std::string_view::npos);
    ASSERT_LT(zero + 1, v.size());
    int algo = v[zero + 1];
    ASSERT_TRUE(algo >= 7 && algo <= 9) << "an AES session key, algorithm " << algo;
    EXPECT_EQ(v.size() - zero - 1, 1u + 8u * (algo - 5) + 2u) << "algorithm byte, session key, checksum";
}

// One KEYINFO + PKDECRYPT exchange, connect included, as the PGP decrypt would make it.
TEST_F(GpgAgentReal, TimingOfOneExchange) {
    std::string ciphertext = ciphertext_for(open_fp_);
    AgentOptions options;
    options.homedir = home_.string();
    std::vector<double> ms;
    for (int i = 0; i < 201; ++i) {
        auto start = Clock::now();
        PkDecryption d = agent_pkdecrypt(options, open_grip_, ciphertext);
        double took = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        ASSERT_TRUE(d.ok());
        if (i > 0) ms.push_back(took);  // the first warms the agent's key cache
    }
    std::sort(ms.begin(), ms.end());
    std::printf("gpg_agent_exchange_ms median=%.3f p10=%.3f p90=%.3f (n=%zu)\n", ms[ms.size() / 2], ms[ms.size() / 10],
                ms[ms.size() * 9 / 10], ms.size());
    RecordProperty("median_ms", std::to_string(ms[ms.size() / 2]));
}

}  // namespace
