// A PGP data key decrypted with no gpg process (lib/src/keys/agent/, lib/src/keys/openpgp/):
// the message's PKESK, its key found in the home's pubring.kbx, the keygrip, one PKDECRYPT
// to the home's own gpg-agent over its socket, the session key, the data. And what must
// end in the gpg fallback instead: a passphrase the agent does not hold (no prompt), a key
// the agent lacks, no agent.
#include <filesystem>
#include <algorithm>
#include <cstring>
#include <thread>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keys/agent/assuan.hpp"
#include "keys/agent/pkdecrypt.hpp"
#include "keys/agent/socket_path.hpp"
#include "keys/openpgp/keybox.hpp"
#include "keys/openpgp/keygrip.hpp"
#include "openpgp_support.hpp"

namespace agent = sopskit::detail::agent;
namespace pgp = sopskit::detail::openpgp;
namespace fs = std::filesystem;
using sopskit::Error;
using sopskit::SecureBytes;
using sopskit::test::read_file;
using sopskit::test::run;

namespace {

class GpgAgentPkdecrypt : public sopskit::test::OpenpgpGpgHome {
protected:
    // The home's agent, started, and its socket as sopskit finds it (gpgconf agrees).
    static std::string agent_socket(const fs::path& home) {
        run("gpgconf --homedir '" + home.string() + "' --launch gpg-agent");
        auto r = run("gpgconf --homedir '" + home.string() + "' --list-dirs agent-socket");
        std::string ours = agent::agent_socket_path(home.string(), "/nonexistent/.gnupg", ::getuid());
        EXPECT_EQ(ours, r.out.substr(0, r.out.find('\n')));
        return ours;
    }
    // The data key of `message`, decrypted as the PGP key source will: gpg only made the keys.
    static std::string decrypt_without_gpg(const fs::path& home, const std::string& message) {
        pgp::EncryptedMessage m = pgp::read_encrypted_message(message);
        const pgp::Pkesk& pkesk = m.recipients.at(0);
        std::vector<pgp::PublicKey> keys = pgp::keybox_keys_with_id(read_file(home / "pubring.kbx"), pkesk.key_id);
        if (keys.size() != 1) throw Error(sopskit::ErrorCode::Generic, "key not in the keybox");
        agent::AssuanConnection connection(agent_socket(home));
        agent::AgentDecryption d = agent::agent_pkdecrypt(connection, pgp::keygrip(keys[0]), pkesk);
        pgp::SessionKey key = pkesk.algorithm == pgp::kEcdh ? pgp::ecdh_session_key(pkesk, keys[0], d.value.view())
                                                            : pgp::rsa_session_key(d.value.view(), d.padding_removed);
        return std::string(pgp::decrypt_seipd(m.encrypted_data, key).view());
    }
};

}  // namespace

TEST_F(GpgAgentPkdecrypt, DecryptsDataKeysThroughTheAgent) {
    for (const std::string* fp : {cv25519_, rsa_}) {
        SCOPED_TRACE(*fp);
        for (int round = 0; round < 2; ++round) {
            std::string data_key(SecureBytes::random(32).view());
            EXPECT_EQ(decrypt_without_gpg(*home_, encrypt(*fp, data_key)), data_key);
        }
    }
}

// A protected key whose passphrase the agent has not cached: refused at once (the agent may
// not prompt), as an AgentError, the caller's cue to run gpg.
TEST_F(GpgAgentPkdecrypt, ProtectedKeyIsRefusedWithoutAPrompt) {
    fs::path home = sopskit::test::make_temp_dir() / "locked";
    fs::create_directory(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    sopskit::test::write_file(home / "gpg-agent.conf", "s2k-count 65536\npinentry-program /nonexistent/pinentry\n");
    std::string g = "GNUPGHOME='" + home.string() + "' gpg --batch --quiet --pinentry-mode loopback --passphrase pw ";
    ASSERT_EQ(run(g + "--quick-gen-key 'locked <l@x>' ed25519 cert,sign never").exit_code, 0);
    auto fpr = run("GNUPGHOME='" + home.string() + "' gpg --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}'");
    ASSERT_EQ(run(g + "--quick-add-key " + fpr.out.substr(0, 40) + " cv25519 encr never").exit_code, 0);
    run("gpgconf --homedir '" + home.string() + "' --kill gpg-agent");  // forget the passphrase
    auto enc = run("GNUPGHOME='" + home.string() + "' gpg --batch --trust-model always --encrypt --recipient l@x", "k");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    try {
        decrypt_without_gpg(home, enc.out);
        ADD_FAILURE() << "decrypted without the passphrase";
    } catch (const agent::AgentError& e) {
        EXPECT_EQ(e.code(), 99u) << e.what();  // GPG_ERR_CANCELED
    }
    run("gpgconf --homedir '" + home.string() + "' --kill all");
}

TEST_F(GpgAgentPkdecrypt, UnknownKeyAndMissingAgent) {
    pgp::EncryptedMessage m = pgp::read_encrypted_message(encrypt(*cv25519_, "k"));
    agent::AssuanConnection connection(agent_socket(*home_));
    std::array<std::uint8_t, 20> nobody{};
    try {
        agent::agent_pkdecrypt(connection, nobody, m.recipients.at(0));
        ADD_FAILURE() << "the agent decrypted with a key it does not have";
    } catch (const agent::AgentError& e) {
        EXPECT_EQ(e.code(), 17u) << e.what();  // GPG_ERR_NO_SECKEY
    }
    fs::path none = sopskit::test::make_temp_dir() / "S.gpg-agent";
    EXPECT_THROW(agent::AssuanConnection{none.string()}, agent::Unavailable);
}

// The wire format, against a scripted server: escaped and split data lines, status lines,
// comments, the inquiry, ERR with its number.
TEST(AssuanClient, ReadsDataStatusInquiryAndErrors) {
    EXPECT_EQ(agent::data_lines(std::string("a%\n\r\0b", 6)), "D a%25%0A%0D%00b\n");
    std::string long_data(2000, 'x');
    std::string lines = agent::data_lines(long_data);
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3);
    for (std::size_t at = 0, nl; (nl = lines.find('\n', at)) != std::string::npos; at = nl + 1) EXPECT_LE(nl - at, 1000u);

    fs::path path = sopskit::test::make_temp_dir() / "S.fake";
    int server = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(server, 1), 0);
    std::string received;
    std::thread peer([&] {
        int c = ::accept(server, nullptr, nullptr);
        auto say = [&](const std::string& s) { (void)!::write(c, s.data(), s.size()); };
        auto hear = [&](std::size_t lines_wanted) {
            char ch;
            for (std::size_t n = 0; n < lines_wanted && ::read(c, &ch, 1) == 1;) {
                received += ch;
                n += ch == '\n';
            }
        };
        say("OK hello\n");
        hear(1);  // PKDECRYPT
        say("S INQUIRE_MAXLEN 4096\nINQUIRE CIPHERTEXT\n");
        hear(2);  // D ..., END
        say("# comment\nS PADDING 0\nD (5:value3:a%0A\nD b)%00\nOK done\n");
        hear(1);  // OTHER
        say("INQUIRE SOMETHING\n");
        hear(1);  // CAN
        say("ERR 67108881 No secret key <gpg-agent>\n");
        ::close(c);
    });
    {
        agent::AssuanConnection connection(path.string());
        agent::AssuanReply reply = connection.transact("PKDECRYPT", [](std::string_view keyword) -> std::optional<std::string> {
            if (keyword == "CIPHERTEXT") return std::string("(c\n)");
            return std::nullopt;
        });
        EXPECT_EQ(reply.status, "INQUIRE_MAXLEN 4096\nPADDING 0\n");
        EXPECT_EQ(reply.data.view(), std::string_view("(5:value3:a\nb)\0", 15));
        EXPECT_EQ(agent::agent_value(reply.data.view()).view(), "a\nb");
        try {
            connection.transact("OTHER", [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
            ADD_FAILURE() << "ERR not reported";
        } catch (const agent::AgentError& e) {
            EXPECT_EQ(e.number(), 67108881u);
            EXPECT_EQ(e.code(), 17u);
            EXPECT_STREQ(e.what(), "gpg-agent: No secret key <gpg-agent>");
        }
    }
    peer.join();
    ::close(server);
    EXPECT_EQ(received, "PKDECRYPT\nD (c%0A)\nEND\nOTHER\nCAN\n");
}

TEST(AssuanClient, AgentValueIsStrict) {
    EXPECT_EQ(agent::agent_value("(5:value2:ab)").view(), "ab");
    for (std::string bad : {"", "(5:value2:abc)", "(5:value3:ab)", "(5:value0:)", "(5:valuex:ab)", "(5:value2:ab", "(4:vale2:ab)", "(5:value:ab)"})
        EXPECT_THROW(agent::agent_value(bad), Error) << bad;
}
