// Wire compatibility of the key service with an independent gRPC stack: @grpc/grpc-js and
// @grpc/proto-loader (npm, a test tool only) load the protocol from a .proto this test writes
// out of sops' field list, then (1) their client calls `sopskit keyservice`, (2) sopskit's
// --keyservice client calls their server. Age and PGP keys, unix sockets and loopback TCP.
#include <sodium.h>

#include "keyservice_support.hpp"
#include "sopskit/age.hpp"
#include "test_support.hpp"

namespace {

using namespace sopskit::test;
namespace fs = std::filesystem;

// sops' keyservice.proto as its field list defines it (package-less names, field numbers).
constexpr const char* kProto = R"(syntax = "proto3";
message Key { oneof key_type { KmsKey kms_key = 1; PgpKey pgp_key = 2; GcpKmsKey gcp_kms_key = 3;
  AzureKeyVaultKey azure_keyvault_key = 4; VaultKey vault_key = 5; AgeKey age_key = 6; HckmsKey hckms_key = 7; } }
message PgpKey { string fingerprint = 1; }
message KmsKey { string arn = 1; string role = 2; map<string, string> context = 3; string aws_profile = 4; }
message GcpKmsKey { string resource_id = 1; }
message VaultKey { string vault_address = 1; string engine_path = 2; string key_name = 3; }
message AzureKeyVaultKey { string vault_url = 1; string name = 2; string version = 3; }
message AgeKey { string recipient = 1; }
message HckmsKey { string key_id = 1; }
message EncryptRequest { Key key = 1; bytes plaintext = 2; }
message EncryptResponse { bytes ciphertext = 1; }
message DecryptRequest { Key key = 1; bytes ciphertext = 2; }
message DecryptResponse { bytes plaintext = 1; }
service KeyService { rpc Encrypt (EncryptRequest) returns (EncryptResponse) {} rpc Decrypt (DecryptRequest) returns (DecryptResponse) {} }
)";

// node client.cjs TARGET encrypt|decrypt age|pgp ID BASE64 -> prints the reply's bytes in base64.
constexpr const char* kClient = R"(const grpc = require('@grpc/grpc-js'); const loader = require('@grpc/proto-loader');
const [target, op, kind, id, input] = process.argv.slice(2);
const proto = grpc.loadPackageDefinition(loader.loadSync('keyservice.proto', {keepCase: true, defaults: true, oneofs: true}));
const client = new proto.KeyService(target, grpc.credentials.createInsecure());
const key = kind === 'age' ? {age_key: {recipient: id}} : {pgp_key: {fingerprint: id}};
const done = (err, res) => {
  if (err) { console.error('grpc error ' + err.code + ': ' + err.details); process.exit(1); }
  process.stdout.write(Buffer.from(op === 'encrypt' ? res.ciphertext : res.plaintext).toString('base64')); client.close(); };
if (op === 'encrypt') client.Encrypt({key, plaintext: Buffer.from(input, 'base64')}, done);
else client.Decrypt({key, ciphertext: Buffer.from(input, 'base64')}, done);
)";

// node server.cjs ADDRESS: a toy key service ("js:" + base64 of the plaintext) that logs each
// request's key to requests.jsonl.
constexpr const char* kServer = R"(const grpc = require('@grpc/grpc-js'); const loader = require('@grpc/proto-loader');
const fs = require('fs');
const proto = grpc.loadPackageDefinition(loader.loadSync('keyservice.proto', {keepCase: true, defaults: true, oneofs: true}));
const log = (op, req) => fs.appendFileSync('requests.jsonl', JSON.stringify({op, kind: req.key.key_type, key: req.key[req.key.key_type]}) + '\n');
const server = new grpc.Server();
server.addService(proto.KeyService.service, {
  Encrypt(call, cb) { log('encrypt', call.request); cb(null, {ciphertext: Buffer.from('js:' + call.request.plaintext.toString('base64'))}); },
  Decrypt(call, cb) {
    log('decrypt', call.request); const c = call.request.ciphertext.toString();
    if (!c.startsWith('js:')) return cb({code: grpc.status.INVALID_ARGUMENT, details: 'not a js: ciphertext'});
    cb(null, {plaintext: Buffer.from(c.slice(3), 'base64')}); } });
server.bindAsync(process.argv[2], grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(String(err)); process.exit(1); }
  console.error('Listening on ' + (process.argv[2].startsWith('unix:') ? process.argv[2] : 'tcp://127.0.0.1:' + port)); });
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
)";

constexpr const char* kPgpFingerprint = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";

std::string b64(std::string_view bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);
    return out;
}

class KeyServiceInteropJs : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_program("node")) GTEST_SKIP() << "node not installed";
        modules_ = npm_install_once("npm-keyservice", "@grpc/grpc-js@1.12.5 @grpc/proto-loader@0.7.13");
        if (modules_.empty()) GTEST_SKIP() << "npm could not install @grpc/grpc-js and @grpc/proto-loader";
        dir_ = make_temp_dir();
        write_file(dir_ / "keyservice.proto", kProto);
        write_file(dir_ / "client.cjs", kClient);
        write_file(dir_ / "server.cjs", kServer);
        write_file(dir_ / "plain.yaml", "password: hunter2\n");
        fs::create_directories(dir_ / "server-home/gnupg");
        fs::create_directories(dir_ / "client-home");
        fs::permissions(dir_ / "server-home/gnupg", fs::perms::owner_all, fs::perm_options::replace);
        id_ = sopskit::age::X25519Identity::generate().encode();
        recipient_ = sopskit::age::X25519Identity::parse(id_).recipient();
        write_file(dir_ / "server-home/keys.txt", id_ + "\n");
        node_env_ = {{"NODE_PATH", modules_ + "/node_modules"}, {"HOME", (dir_ / "client-home").string()}};
    }
    void TearDown() override {
        if (!dir_.empty()) run("gpgconf --homedir '" + (dir_ / "server-home/gnupg").string() + "' --kill all 2>/dev/null");
    }
    bool import_pgp_key() {
        auto conf = conformance_dir();
        if (!conf || !have_program("gpg")) return false;
        return run("GNUPGHOME='" + (dir_ / "server-home/gnupg").string() + "' gpg --batch --quiet --import '" +
                   (*conf / "sops/pgp/sops_functional_tests_key.asc").string() + "'")
                   .exit_code == 0;
    }
    Env server_env() const {
        return {{"HOME", (dir_ / "server-home").string()}, {"SOPS_AGE_KEY_FILE", (dir_ / "server-home/keys.txt").string()},
                {"GNUPGHOME", (dir_ / "server-home/gnupg").string()}};
    }
    RunResult node_client(const std::string& target, const char* op, const char* kind, const std::string& id, const std::string& input) {
        return run_argv({"/usr/bin/env", "node", "client.cjs", target, op, kind, id, input}, dir_, node_env_);
    }
    // Their client against our server: encrypt a data key, decrypt it back.
    void their_client_round_trip(const std::string& target, const char* kind, const std::string& id) {
        const std::string data_key(32, '\x5a');
        auto enc = node_client(target, "encrypt", kind, id, b64(data_key));
        ASSERT_EQ(enc.exit_code, 0) << enc.err;
        auto dec = node_client(target, "decrypt", kind, id, enc.out);
        ASSERT_EQ(dec.exit_code, 0) << dec.err;
        EXPECT_EQ(dec.out, b64(data_key));
        // A ciphertext for another key is refused with a gRPC error, not a crash.
        auto wrong = node_client(target, "decrypt", kind, id, b64("not a ciphertext"));
        EXPECT_NE(wrong.exit_code, 0);
        EXPECT_NE(wrong.err.find("grpc error"), std::string::npos) << wrong.err;
    }
    // Our client against their server: encrypt a file for the key, decrypt it, both through it.
    void our_client_round_trip(const std::string& uri, const std::string& flag, const std::string& id, const char* kind,
                               const char* field) {
        Env env{{"HOME", (dir_ / "client-home").string()}, {"SOPS_AGE_KEY_FILE", (dir_ / "client-home/none.txt").string()},
                {"GNUPGHOME", (dir_ / "client-home/gnupg").string()}};
        auto enc = run_argv({cli_path(), "encrypt", "--enable-local-keyservice=false", "--keyservice", uri, flag, id, "plain.yaml"}, dir_, env);
        ASSERT_EQ(enc.exit_code, 0) << enc.err;
        EXPECT_NE(enc.out.find("enc: js:"), std::string::npos) << enc.out;
        write_file(dir_ / "secret.yaml", enc.out);
        auto dec = run_argv({cli_path(), "decrypt", "--enable-local-keyservice=false", "--keyservice", uri, "secret.yaml"}, dir_, env);
        ASSERT_EQ(dec.exit_code, 0) << dec.err;
        EXPECT_EQ(dec.out, "password: hunter2\n");
        const std::string requests = read_file(dir_ / "requests.jsonl");
        const std::string key = std::string("\"kind\":\"") + kind + "\",\"key\":{\"" + field + "\":\"" + id + "\"}";
        EXPECT_NE(requests.find("{\"op\":\"encrypt\"," + key), std::string::npos) << requests;
        EXPECT_NE(requests.find("{\"op\":\"decrypt\"," + key), std::string::npos) << requests;
    }
    std::string modules_, id_, recipient_;
    fs::path dir_;
    Env node_env_;
};

TEST_F(KeyServiceInteropJs, TheirClientOurServerAgeAndPgpOverUnixAndTcp) {
    const bool pgp = import_pgp_key();
    ServerProcess unix_server = keyservice(dir_, {"--network", "unix", "--address", (dir_ / "ks.sock").string()}, server_env());
    ASSERT_FALSE(unix_server.address().empty()) << unix_server.log();
    their_client_round_trip("unix://" + (dir_ / "ks.sock").string(), "age", recipient_);
    if (pgp) their_client_round_trip("unix://" + (dir_ / "ks.sock").string(), "pgp", kPgpFingerprint);
    unix_server.stop();
    ServerProcess tcp_server = keyservice(dir_, {"--address", "127.0.0.1:0"}, server_env());
    ASSERT_EQ(tcp_server.address().rfind("tcp://127.0.0.1:", 0), 0u) << tcp_server.log();
    const std::string target = tcp_server.address().substr(6);
    their_client_round_trip(target, "age", recipient_);
    if (pgp) their_client_round_trip(target, "pgp", kPgpFingerprint);
    // What their client got from our server is a real age ciphertext for the key.
    auto enc = node_client(target, "encrypt", "age", recipient_, b64(std::string(32, 'k')));
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    std::string armored(enc.out.size(), '\0');
    size_t len = 0;
    ASSERT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(armored.data()), armored.size(), enc.out.data(), enc.out.size(),
                                nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL), 0);
    armored.resize(len);
    EXPECT_EQ(armored.rfind("-----BEGIN AGE ENCRYPTED FILE-----", 0), 0u) << armored;
    // Oversized and malformed requests are refused with a status, and the server keeps serving.
    auto huge = node_client(target, "decrypt", "age", recipient_, b64(std::string(70 * 1024, 'x')));  // over the 64 KiB cap, under argv's 128 KiB
    EXPECT_NE(huge.err.find("grpc error 8:"), std::string::npos) << huge.err;  // RESOURCE_EXHAUSTED
    auto long_key = node_client(target, "encrypt", "age", recipient_, b64(std::string(2000, 'k')));
    EXPECT_NE(long_key.err.find("grpc error 3:"), std::string::npos) << long_key.err;  // INVALID_ARGUMENT
    auto bad_recipient = node_client(target, "encrypt", "age", "age1notarecipient", b64(std::string(32, 'k')));
    EXPECT_NE(bad_recipient.err.find("grpc error 2:"), std::string::npos) << bad_recipient.err;
    auto again = node_client(target, "encrypt", "age", recipient_, b64(std::string(32, 'k')));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    if (!pgp) GTEST_SKIP() << "age checked; PGP needs gpg and ../shared/conformance";
}

TEST_F(KeyServiceInteropJs, OurClientTheirServerAgeAndPgpOverUnixAndTcp) {
    {
        ServerProcess server(dir_, {"node", "server.cjs", "unix://" + (dir_ / "js.sock").string()}, node_env_, "node-unix");
        ASSERT_FALSE(server.address().empty()) << server.log();
        our_client_round_trip(server.address(), "--age", recipient_, "age_key", "recipient");
        our_client_round_trip(server.address(), "--pgp", kPgpFingerprint, "pgp_key", "fingerprint");
    }
    fs::remove(dir_ / "requests.jsonl");
    ServerProcess server(dir_, {"node", "server.cjs", "127.0.0.1:0"}, node_env_, "node-tcp");
    ASSERT_EQ(server.address().rfind("tcp://127.0.0.1:", 0), 0u) << server.log();
    our_client_round_trip(server.address(), "--age", recipient_, "age_key", "recipient");
    our_client_round_trip(server.address(), "--pgp", kPgpFingerprint, "pgp_key", "fingerprint");
}

}  // namespace
