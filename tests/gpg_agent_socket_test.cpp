// Where sopskit looks for gpg-agent's socket (lib/src/keys/agent/socket_path.cpp): the same
// path gpgconf prints for the same GNUPGHOME, HOME and working folder, and the runtime-folder
// rules on a fake /run inside the test folder.
#include <unistd.h>

#include <filesystem>

#include "keys/agent/socket_path.hpp"
#include "test_support.hpp"

namespace agent = sopskit::detail::agent;
namespace fs = std::filesystem;
using sopskit::test::run;

TEST(GpgAgentSocket, ZBase32) {
    const unsigned char a[] = {0xF0, 0xBF, 0xC7}, b[] = {0xD4, 0x7A, 0x04};
    EXPECT_EQ(agent::zbase32(a, 3), "6n9hq");
    EXPECT_EQ(agent::zbase32(b, 3), "4t7ye");
}

TEST(GpgAgentSocket, SameAsGpgconf) {
    REQUIRE_PROGRAM("gpgconf");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::create_directories(dir / "home" / ".gnupg");
    fs::create_directories(dir / "work" / "rel");
    std::string home = (dir / "home").string(), cwd = (dir / "work").string();
    for (std::string gnupghome : {std::string(), (dir / "g").string(), (dir / "g").string() + "//", std::string("rel"), home + "/.gnupg"}) {
        SCOPED_TRACE(gnupghome);
        auto r = run("cd '" + cwd + "' && HOME='" + home + "' GNUPGHOME='" + gnupghome + "' gpgconf --list-dirs agent-socket");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::string homedir = agent::gnupg_homedir(gnupghome, home, cwd);
        std::string ours = agent::agent_socket_path(homedir, agent::gnupg_homedir("", home, cwd), ::getuid());
        EXPECT_EQ(ours, r.out.substr(0, r.out.find('\n')));
    }
}

TEST(GpgAgentSocket, RuntimeFolderRules) {
    fs::path dir = sopskit::test::make_temp_dir();
    std::string base = (dir / "run").string(), other = (dir / "var-run").string();
    std::string home = "/h/.gnupg", custom = "/elsewhere";
    unsigned uid = ::getuid();
    EXPECT_EQ(agent::agent_socket_path(custom, home, uid, {base, other}), "/elsewhere/S.gpg-agent") << "no runtime folder";
    fs::path user = fs::path(other) / "user" / std::to_string(uid);
    fs::create_directories(user);
    EXPECT_EQ(agent::agent_socket_path(home, home, uid, {base, other}), user.string() + "/gnupg/S.gpg-agent");
    std::string hashed = agent::agent_socket_path(custom, home, uid, {base, other});
    EXPECT_TRUE(hashed.starts_with(user.string() + "/gnupg/d.")) << hashed;
    EXPECT_EQ(hashed.size(), user.string().size() + std::string("/gnupg/d.").size() + 24 + std::string("/S.gpg-agent").size());
    // What gpgconf 2.2.40 printed for this GNUPGHOME with a /run/user/0 (made in a private
    // mount namespace, once, to take this vector).
    EXPECT_EQ(agent::agent_socket_path("/tmp/sopskit-vector/gnupg", home, uid, {other}),
              user.string() + "/gnupg/d.r3e7cqrd761p6dpkppsugg97/S.gpg-agent");
    fs::create_directory(user / "gnupg");
    fs::permissions(user / "gnupg", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, fs::perm_options::replace);
    EXPECT_EQ(agent::agent_socket_path(home, home, uid, {base, other}), "/h/.gnupg/S.gpg-agent") << "gnupg folder open to the group";
    EXPECT_EQ(agent::agent_socket_path(home, home, uid + 1, {base, other}), "/h/.gnupg/S.gpg-agent") << "no runtime folder for that user";
    EXPECT_EQ(agent::gnupg_homedir("~/x/", "/home/u", "/w"), "/home/u/x");
    EXPECT_EQ(agent::gnupg_homedir("x", "/home/u", "/w"), "/w/x");
    EXPECT_EQ(agent::gnupg_homedir("", "/home/u", "/w"), "/home/u/.gnupg");
}
