// A SOPS file's metadata is hostile input: each attack of issue 24, reproduced. A loopback
// listener stands for the attacker's host and must see no connection; long fields end in a
// clean error, not a crash; bodies, entries and time are bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "aws/aws.hpp"
#include "azure/azure.hpp"
#include "common/http.hpp"
#include "gcp/gcp.hpp"
#include "kms_stub.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "vault/vault.hpp"

using namespace sopskit;
using sopskit::test::env_of;
namespace fs = std::filesystem;

namespace {

// A TCP listener on 127.0.0.1 that accepts and counts connections and never answers.
class SilentListener {
public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd_, 16);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] {
            while (!stop_) {
                pollfd p{fd_, POLLIN, 0};
                if (::poll(&p, 1, 20) > 0) {
                    int c = ::accept(fd_, nullptr, nullptr);
                    if (c >= 0) {
                        ++connections_;
                        held_.push_back(c);
                    }
                }
            }
        });
    }
    ~SilentListener() {
        stop_ = true;
        thread_.join();
        for (int c : held_) ::close(c);
        ::close(fd_);
    }
    int port() const { return port_; }
    int connections() const { return connections_; }

private:
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::vector<int> held_;
    std::thread thread_;
};

StoredKey stored(const std::string& kind, std::vector<std::pair<std::string, std::string>> fields) {
    StoredKey k{kind, Value::empty_map()};
    for (auto& [name, value] : fields) k.set_field(name, Value::string(value));
    return k;
}

bool one_clean_line(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 && c != '\t') return false;
    return true;
}

}  // namespace

// The ARN's region went into the endpoint host: "x@HOST:PORT/#" sent the signed request (and
// the web-identity token to STS) to HOST.
TEST(untrustedMetadata, AwsRegionCannotChooseTheHost) {
    SilentListener attacker;
    std::string arn = "arn:aws:kms:x@127.0.0.1:" + std::to_string(attacker.port()) + "/#:111122223333:key/abc";
    fs::path dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "token", "web-identity-token");
    for (bool web_identity : {false, true}) {
        kms::KmsSettings s;
        std::map<std::string, std::string> env = {{"SOPSKIT_KMS_TIMEOUT_S", "2"}, {"AWS_MAX_ATTEMPTS", "1"}};
        if (web_identity) {
            env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir / "token").string();
            env["AWS_ROLE_ARN"] = "arn:aws:iam::111122223333:role/r";
        } else {
            env["AWS_ACCESS_KEY_ID"] = "AKIDTEST";
            env["AWS_SECRET_ACCESS_KEY"] = "secret";
        }
        s.env = env_of(env);
        s.home = dir.string();
        auto out = kms::make_aws_kms_source(s)->unwrap(stored("kms", {{"arn", arn}, {"enc", "AQID"}}));
        EXPECT_EQ(out.status, UnwrapOutcome::Status::Failed);
        EXPECT_NE(out.reason.find("no valid ARN"), std::string::npos) << out.reason;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(attacker.connections(), 0);
    // The grammar keeps every real partition and region.
    for (const char* ok : {"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                           "arn:aws-cn:kms:cn-north-1:111122223333:alias/sops", "arn:aws-us-gov:kms:us-gov-west-1:1:key/mrk-1",
                           "arn:aws-iso:kms:us-iso-east-1:1:key/k", "arn:aws-iso-b:kms:us-isob-east-1:1:key/k",
                           "arn:aws-iso-e:kms:eu-isoe-west-1:1:alias/a/b", "arn:aws-iso-f:kms:us-isof-south-1:1:key/k"})
        EXPECT_TRUE(kms::aws::parse_kms_arn(ok)) << ok;
    EXPECT_EQ(kms::aws::service_endpoint(env_of({}), "kms", "us-iso-east-1"), "https://kms.us-iso-east-1.c2s.ic.gov");
    EXPECT_EQ(kms::aws::service_endpoint(env_of({}), "kms", "us-isob-east-1"), "https://kms.us-isob-east-1.sc2s.sgov.gov");
    for (const char* bad : {"arn:aws:kms:US-EAST-1:1:key/k", "arn:aws:kms:us-east-1.evil.com:1:key/k", "arn:aws:kms::1:key/k",
                            "arn:aws:kms:us-east-1:1:key/", "arn:aws:kms:us-east-1:1:key/a b", "arn:evil:kms:us-east-1:1:key/k"})
        EXPECT_FALSE(kms::aws::parse_kms_arn(bad)) << bad;
    EXPECT_THROW(kms::aws::service_endpoint(env_of({}), "sts", "x@127.0.0.1:1/#"), kms::TransportError);
}

// A decryption Secret's Vault token went to whatever vault_address the file named, also over
// plain http.
TEST(untrustedMetadata, TenantVaultTokenGoesOnlyWhereAllowed) {
    SilentListener attacker;
    const std::string port = std::to_string(attacker.port());
    auto unwrap_with = [&](std::map<std::string, std::string> entries, const std::string& address,
                           std::map<std::string, std::string> operator_env = {}) {
        auto keys = DecryptionKeys::from_entries(entries, "tenant/sops-keys");
        kms::KmsSettings s = kms::settings_from_flux_entries(keys->aws_kms, keys->gcp_kms, keys->azure_kv,
                                                             keys->vault_token, keys->vault_allowlist);
        operator_env["SOPSKIT_KMS_TIMEOUT_S"] = "1";
        s.env = env_of(operator_env);
        return kms::make_vault_transit_source(s)->unwrap(
            stored("hc_vault", {{"vault_address", address}, {"engine_path", "transit"}, {"key_name", "k"}, {"enc", "vault:v1:KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio="}}));
    };
    const std::map<std::string, std::string> token_only = {{"sops.vault-token", "tenant-token"}};
    auto https = unwrap_with(token_only, "https://127.0.0.1:" + port);
    EXPECT_EQ(https.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(https.reason.find("is not allowed"), std::string::npos) << https.reason;
    EXPECT_EQ(unwrap_with(token_only, "http://127.0.0.1:" + port).status, UnwrapOutcome::Status::Failed);
    // Naming https does not open plain http, nor a longer port.
    auto listed = token_only;
    listed["sops.vault-allowlist"] = "https://127.0.0.1:" + port;
    EXPECT_EQ(unwrap_with(listed, "http://127.0.0.1:" + port).status, UnwrapOutcome::Status::Failed);
    listed["sops.vault-allowlist"] = "https://127.0.0.1:" + port.substr(0, port.size() - 1);
    EXPECT_EQ(unwrap_with(listed, "https://127.0.0.1:" + port).status, UnwrapOutcome::Status::Failed);
    // The operator's "all" opens https only; "none" closes everything, whatever the Secret says.
    EXPECT_EQ(unwrap_with(token_only, "http://127.0.0.1:" + port, {{"SOPS_HC_VAULT_ALLOWLIST", "all"}}).status,
              UnwrapOutcome::Status::Failed);
    listed["sops.vault-allowlist"] = "http://127.0.0.1:" + port;
    EXPECT_EQ(unwrap_with(listed, "http://127.0.0.1:" + port, {{"SOPS_HC_VAULT_ALLOWLIST", "none"}}).status,
              UnwrapOutcome::Status::Failed);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(attacker.connections(), 0);

    // Named by the Secret (with http:// spelled out) or by the operator, the token is sent.
    sopskit::test::StubServer vault;
    std::vector<std::string> seen;
    sopskit::test::serve_fake_vault_transit(vault, "k", "tenant-token", [&](const std::string& t) { seen.push_back(t); });
    vault.start();
    std::map<std::string, std::string> named = token_only;
    named["sops.vault-allowlist"] = "https://vault.example.com,\n" + vault.url() + "\n";
    auto out = unwrap_with(named, vault.url());
    EXPECT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    out = unwrap_with(token_only, vault.url(), {{"SOPS_HC_VAULT_ALLOWLIST", vault.url()}});
    EXPECT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_EQ(seen.size(), 2u);
}

// libstdc++'s std::regex recursed per character: these lengths ended the process with SIGSEGV.
TEST(untrustedMetadata, HugeFieldsGiveACleanError) {
    kms::KmsSettings s;
    s.env = env_of({{"AWS_ACCESS_KEY_ID", "AKIDTEST"}, {"AWS_SECRET_ACCESS_KEY", "secret"}, {"VAULT_TOKEN", "t"}});
    s.home = sopskit::test::make_temp_dir().string();
    std::string arn = "arn:aws:kms:us-east-1:111122223333:key/" + std::string(50'000, 'a');
    auto aws = kms::make_aws_kms_source(s)->unwrap(stored("kms", {{"arn", arn}, {"enc", "AQID"}}));
    EXPECT_EQ(aws.status, UnwrapOutcome::Status::Failed);
    EXPECT_LT(aws.reason.size(), 1000u);
    EXPECT_FALSE(kms::aws::parse_kms_arn(std::string(50'000, ':')));

    std::string id = "projects/p/locations/global/keyRings/r/cryptoKeys/" + std::string(100'000, 'k');
    auto gcp = kms::make_gcp_kms_source(s)->unwrap(stored("gcp_kms", {{"resource_id", id}, {"enc", "AQID"}}));
    EXPECT_EQ(gcp.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(gcp.reason.find("no valid resource ID"), std::string::npos);
    EXPECT_LT(gcp.reason.size(), 1000u);

    std::string uri = "https://vault.example.com/v1/" + std::string(100'000, 'e') + "/keys/k";
    EXPECT_FALSE(kms::vault::parse_key_uri(uri));
    EXPECT_FALSE(kms::azure::parse_key_url("https://v.vault.azure.net/keys/" + std::string(100'000, 'n')));
    EXPECT_FALSE(kms::azure::parse_challenge("Bearer resource=\"" + std::string(90'000, 'a') + "\""));
}

// The same 90 KB challenge from a server: refused by the transport or the parser, one clean line.
TEST(untrustedMetadata, HugeChallengeFromAServerIsRefused) {
    fs::path dir = sopskit::test::make_temp_dir();
    if (!sopskit::test::make_self_signed_cert(dir)) GTEST_SKIP() << "openssl cannot make a test certificate";
    sopskit::test::StubServer server((dir / "cert.pem").string(), (dir / "key.pem").string());
    server.srv().Post(R"(/keys/.*)", [](const httplib::Request&, httplib::Response& res) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer resource=\"" + std::string(90'000, 'a') + "\"");
    });
    server.start();
    kms::KmsSettings s;
    s.env = env_of({{"SSL_CERT_FILE", (dir / "cert.pem").string()}, {"SOPSKIT_KMS_TIMEOUT_S", "5"}});
    auto out = kms::make_azure_kv_source(s)->unwrap(stored(
        "azure_kv", {{"vault_url", server.url("https")}, {"name", "k"}, {"version", "v1"}, {"enc", "AQID"}}));
    EXPECT_EQ(out.status, UnwrapOutcome::Status::Failed);
    EXPECT_TRUE(one_clean_line(out.reason)) << out.reason;
    EXPECT_LT(out.reason.size(), 1000u);
}

// With a decryption Secret's Azure credentials, a vault outside Key Vault's domains is never
// contacted (not even by the unauthenticated probe).
TEST(untrustedMetadata, TenantAzureRequestsStayOnKeyVaultDomains) {
    SilentListener attacker;
    kms::KmsSettings s = kms::settings_from_flux_entries(std::nullopt, std::nullopt,
                                                         std::string(R"({"tenantId":"t","clientId":"c","clientSecret":"s"})"), std::nullopt);
    s.env = env_of({{"SOPSKIT_KMS_TIMEOUT_S", "1"}, {"SOPSKIT_KMS_RESOLVE", "evil.example:" + std::to_string(attacker.port()) + ":127.0.0.1"}});
    for (std::string vault : {"https://127.0.0.1:" + std::to_string(attacker.port()), "https://evil.example:" + std::to_string(attacker.port()),
                              "https://vault.azure.net.evil.example:" + std::to_string(attacker.port())}) {
        auto out = kms::make_azure_kv_source(s)->unwrap(stored("azure_kv", {{"vault_url", vault}, {"name", "k"}, {"version", "v1"}, {"enc", "AQID"}}));
        EXPECT_EQ(out.status, UnwrapOutcome::Status::Failed);
        EXPECT_NE(out.reason.find("not a Key Vault domain"), std::string::npos) << out.reason;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(attacker.connections(), 0);
    for (const char* host : {"v.vault.azure.net", "v.vault.azure.cn", "v.vault.usgovcloudapi.net", "h.managedhsm.azure.net"})
        EXPECT_TRUE(kms::azure::is_key_vault_host(host, "")) << host;
    EXPECT_FALSE(kms::azure::is_key_vault_host("vault.azure.net", ""));
    EXPECT_FALSE(kms::azure::is_key_vault_host("xvault.azure.net", ""));
    EXPECT_TRUE(kms::azure::is_key_vault_host("kv.stack.local", "stack.local"));
}

// A 1 GiB answer reached 2.1 GB of memory; an endless one never ended.
TEST(untrustedMetadata, HugeBodiesAreRefusedWithBoundedMemory) {
    sopskit::test::StubServer server;
    std::atomic<std::size_t> sent{0};
    server.srv().Put(R"(/v1/claims/decrypt/k)", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content_provider(std::size_t{1} << 30, "application/json",
                                 [&](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                     if (offset >= (std::size_t{8} << 20)) return false;  // stop after 8 MiB
                                     std::string chunk(64 << 10, ' ');
                                     sent += chunk.size();
                                     return sink.write(chunk.data(), chunk.size());
                                 });
    });
    server.srv().Put(R"(/v1/endless/decrypt/k)", [&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("application/json", [&](std::size_t offset, httplib::DataSink& sink) {
            if (offset >= (std::size_t{8} << 20)) return false;
            std::string chunk(64 << 10, ' ');
            return sink.write(chunk.data(), chunk.size());
        });
    });
    server.start();
    kms::KmsSettings s;
    s.env = env_of({{"VAULT_TOKEN", "t"}, {"SOPSKIT_KMS_RETRY_BASE_MS", "1"}});
    s.home = sopskit::test::make_temp_dir().string();
    auto src = kms::make_vault_transit_source(s);
    for (const char* engine : {"claims", "endless"}) {
        auto out = src->unwrap(
            stored("hc_vault", {{"vault_address", server.url()}, {"engine_path", engine}, {"key_name", "k"}, {"enc", "x"}}));
        EXPECT_EQ(out.status, UnwrapOutcome::Status::Failed);
        EXPECT_NE(out.reason.find("larger than 1048576 bytes"), std::string::npos) << engine << ": " << out.reason;
    }
    // The announced size is refused before the body is read (the server may have queued some).
    EXPECT_LT(sent.load(), std::size_t{4} << 20);
}

// A huge Retry-After overflowed a signed long (std::stol threw); it is clamped now.
TEST(untrustedMetadata, HugeRetryAfterIsClamped) {
    EXPECT_EQ(kms::retry_after_ms("99999999999999999999999", 50), 50);
    EXPECT_EQ(kms::retry_after_ms("0000000000000000000002", 50'000), 2000);
    EXPECT_EQ(kms::retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 50), -1);
    sopskit::test::StubServer server;
    int calls = 0;
    server.srv().Post("/", [&](const httplib::Request&, httplib::Response& res) {
        if (calls++ == 0) {
            res.status = 503;
            res.set_header("Retry-After", "99999999999999999999999");
        } else {
            res.set_content("ok", "text/plain");
        }
    });
    server.start();
    kms::HttpOptions opts;
    opts.max_delay_ms = 50;
    kms::HttpRequest req{"POST", server.url() + "/", {}, "x"};
    auto resp = kms::http_send(req, opts);
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(calls, 2);
}

// A server's error text reached the message with raw CR/LF (a forged log line in Flux's status).
TEST(untrustedMetadata, ServerTextIsOneShortEscapedLine) {
    kms::set_http_transport([](const kms::HttpRequest&) {
        kms::HttpResponse r;
        r.status = 400;
        r.body = R"({"__type":"Bad\r\nInjected: yes","message":"m\u001b[31m\r\nmore"})";
        return r;
    });
    kms::KmsSettings s;
    s.env = env_of({{"AWS_ACCESS_KEY_ID", "AKIDTEST"}, {"AWS_SECRET_ACCESS_KEY", "secret"}});
    s.home = sopskit::test::make_temp_dir().string();
    auto out = kms::make_aws_kms_source(s)->unwrap(
        stored("kms", {{"arn", "arn:aws:kms:us-east-1:111122223333:key/k"}, {"enc", "AQID"}}));
    kms::set_http_transport({});
    EXPECT_EQ(out.status, UnwrapOutcome::Status::Failed);
    EXPECT_TRUE(one_clean_line(out.reason)) << out.reason;
    EXPECT_NE(out.reason.find("\\x1b"), std::string::npos) << out.reason;

    kms::HttpResponse raw;
    raw.status = 500;
    raw.body = std::string(10'000, 'x') + "\r\n";
    std::string text = kms::vault::error_text(raw);
    EXPECT_TRUE(one_clean_line(text));
    EXPECT_LT(text.size(), 100u);
}

namespace {

// A key source that counts its calls, fails, and notes whether it ran under a deadline.
class SlowFailingSource : public KeySource {
public:
    explicit SlowFailingSource(std::chrono::milliseconds delay) : delay_(delay) {}
    std::string_view kind() const override { return "hc_vault"; }
    StoredKey wrap(const Recipient&, const SecureBytes&) override { throw Error(ErrorCode::Generic, "no"); }
    Recipient recipient_of(const StoredKey& k) const override { return {"hc_vault", k.field("key_name"), {}}; }
    UnwrapOutcome unwrap(const StoredKey&) override {
        ++calls;
        saw_deadline = saw_deadline || unwrap_deadline().has_value();
        std::this_thread::sleep_for(delay_);
        return UnwrapOutcome::failed("unavailable");
    }
    std::string describe(const StoredKey& k) const override { return k.field("key_name"); }
    int calls = 0;
    bool saw_deadline = false;

private:
    std::chrono::milliseconds delay_;
};

Metadata with_entries(std::size_t n) {
    Metadata md;
    md.key_groups.emplace_back();
    for (std::size_t i = 0; i < n; ++i) md.key_groups.back().push_back(stored("hc_vault", {{"key_name", "k" + std::to_string(i)}}));
    return md;
}

}  // namespace

// Any number of entries, each with retries and timeouts: one file stalled a reconcile for hours.
TEST(untrustedMetadata, KeyEntriesAndTimeAreBounded) {
    KeyRing ring;
    auto owned = std::make_unique<SlowFailingSource>(std::chrono::milliseconds(0));
    SlowFailingSource* source = owned.get();
    ring.add(std::move(owned));
    ring.set_unwrap_limits({100, std::chrono::milliseconds(60'000)});
    try {
        ring.unwrap_data_key(with_entries(1000));
        ADD_FAILURE() << "1000 entries were accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::CouldNotRetrieveKey);
        EXPECT_NE(std::string(e.what()).find("more than the limit of 100"), std::string::npos) << e.what();
    }
    EXPECT_EQ(source->calls, 0);

    // The time budget: entries after it are skipped, and sources see the deadline.
    ring.set_unwrap_limits({100, std::chrono::milliseconds(300)});
    auto slow = std::make_unique<SlowFailingSource>(std::chrono::milliseconds(100));
    SlowFailingSource* slow_source = slow.get();
    ring.add(std::move(slow));
    auto start = std::chrono::steady_clock::now();
    try {
        ring.unwrap_data_key(with_entries(50));
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("time budget"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    EXPECT_LE(slow_source->calls, 5);
    EXPECT_TRUE(slow_source->saw_deadline);
    EXPECT_FALSE(unwrap_deadline().has_value());
}

// The budget also cuts a request that hangs: three Vault entries on a host that never answers,
// each allowed 30 s by SOPSKIT_KMS_TIMEOUT_S, finish within the 1 s budget.
TEST(untrustedMetadata, TimeBudgetCutsHangingRequests) {
    SilentListener hanging;
    kms::KmsSettings s;
    s.env = env_of({{"VAULT_TOKEN", "t"}, {"SOPSKIT_KMS_TIMEOUT_S", "30"}});
    s.home = sopskit::test::make_temp_dir().string();
    KeyRing ring;
    ring.add(kms::make_vault_transit_source(s));
    ring.set_unwrap_limits({100, std::chrono::milliseconds(1000)});
    Metadata md;
    md.key_groups.emplace_back();
    for (int i = 0; i < 3; ++i)
        md.key_groups.back().push_back(stored("hc_vault", {{"vault_address", "http://127.0.0.1:" + std::to_string(hanging.port())},
                                                           {"engine_path", "transit"},
                                                           {"key_name", "k" + std::to_string(i)},
                                                           {"enc", "vault:v1:x"}}));
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(ring.unwrap_data_key(md), Error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}
