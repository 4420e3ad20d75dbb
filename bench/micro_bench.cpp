// Micro-benchmarks of the hot paths, one per step a file goes through: the value envelope,
// the tree walk with its MAC, each store's parse and emit, the age unwrap of a data key and
// a data-key cache hit. bench/run prints them beside the macro table.
#include <benchmark/benchmark.h>

#include <string>

#include "sopskit/age.hpp"
#include "sopskit/cipher.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/format.hpp"

using namespace sopskit;

namespace {

// A Secret-sized document: 40 entries of mixed kinds.
std::string sample_yaml() {
    std::string s = "apiVersion: v1\nkind: Secret\nmetadata:\n    name: app\nstringData:\n";
    for (int i = 0; i < 40; ++i) s += "    key" + std::to_string(i) + ": value-" + std::to_string(i * 7919) + "\n";
    return s;
}

const SecureBytes& data_key() {
    static SecureBytes key = SecureBytes::random(32);
    return key;
}

void BM_EnvelopeEncrypt(benchmark::State& state) {
    ValueCipher cipher(data_key());
    Value v = Value::string(std::string(static_cast<std::size_t>(state.range(0)), 'x'));
    for (auto _ : state) benchmark::DoNotOptimize(cipher.encrypt(v, "stringData:password:"));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EnvelopeEncrypt)->Arg(16)->Arg(4096);

void BM_EnvelopeDecrypt(benchmark::State& state) {
    ValueCipher cipher(data_key());
    std::string env = cipher.encrypt(Value::string(std::string(static_cast<std::size_t>(state.range(0)), 'x')), "a:");
    for (auto _ : state) benchmark::DoNotOptimize(cipher.decrypt(env, "a:"));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EnvelopeDecrypt)->Arg(16)->Arg(4096);

// Walking a parsed document: every value decrypted and hashed into the MAC.
void BM_WalkDecryptWithMac(benchmark::State& state) {
    ValueCipher cipher(data_key());
    Branches plain = load_plain(Format::Yaml, sample_yaml());
    encrypt_branches(plain, CryptRules{}, cipher);
    for (auto _ : state) {
        state.PauseTiming();
        Branches copy = plain;
        state.ResumeTiming();
        benchmark::DoNotOptimize(decrypt_branches(copy, CryptRules{}, cipher));
    }
}
BENCHMARK(BM_WalkDecryptWithMac);

std::string sample_in(Format f) { return emit_plain(f, load_plain(Format::Yaml, sample_yaml())); }

void BM_StoreParse(benchmark::State& state) {
    auto f = static_cast<Format>(state.range(0));
    std::string text = f == Format::Dotenv || f == Format::Ini ? "" : sample_in(f);
    if (f == Format::Dotenv)
        for (int i = 0; i < 40; ++i) text += "KEY" + std::to_string(i) + "=value-" + std::to_string(i) + "\n";
    if (f == Format::Ini) {
        text = "[app]\n";
        for (int i = 0; i < 40; ++i) text += "key" + std::to_string(i) + " = value-" + std::to_string(i) + "\n";
    }
    for (auto _ : state) benchmark::DoNotOptimize(load_plain(f, text));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
    state.SetLabel(std::string(format_name(f)));
}
BENCHMARK(BM_StoreParse)->DenseRange(0, 3);

void BM_StoreEmit(benchmark::State& state) {
    auto f = static_cast<Format>(state.range(0));
    Branches tree = load_plain(Format::Yaml, sample_yaml());
    for (auto _ : state) benchmark::DoNotOptimize(emit_plain(f, tree));
    state.SetLabel(std::string(format_name(f)));
}
BENCHMARK(BM_StoreEmit)->DenseRange(0, 1);

// What the controller pays per cold Secret for the key: one X25519 unwrap of a data key.
void BM_AgeUnwrapDataKey(benchmark::State& state) {
    auto id = age::X25519Identity::generate();
    std::string file = age::encrypt(std::string(data_key().view()), {id.recipient()}, true);
    age::IdentitySet ids;
    ids.add(id.clone());
    for (auto _ : state) benchmark::DoNotOptimize(age::decrypt(file, ids));
}
BENCHMARK(BM_AgeUnwrapDataKey);

// The same for a post-quantum hybrid (mlkem768x25519) key: ML-KEM-768 decapsulation + X25519.
void BM_AgeHybridUnwrapDataKey(benchmark::State& state) {
    auto id = age::HybridIdentity::generate();
    std::string file = age::encrypt(std::string(data_key().view()), {id.recipient()}, true);
    age::IdentitySet ids;
    ids.add(id.clone());
    for (auto _ : state) benchmark::DoNotOptimize(age::decrypt(file, ids));
}
BENCHMARK(BM_AgeHybridUnwrapDataKey);

// Wrapping a data key (what encrypt, rotate and updatekeys pay per age key): 0 X25519, 1 hybrid.
void BM_AgeWrapDataKey(benchmark::State& state) {
    std::string recipient = state.range(0) ? age::HybridIdentity::generate().recipient() : age::X25519Identity::generate().recipient();
    for (auto _ : state) benchmark::DoNotOptimize(age::encrypt(std::string(data_key().view()), {recipient}, true));
    state.SetLabel(state.range(0) ? "mlkem768x25519" : "X25519");
}
BENCHMARK(BM_AgeWrapDataKey)->DenseRange(0, 1);

// Parsing an AGE-SECRET-KEY-PQ-1 line expands the seed into both keys (ML-KEM KeyGen).
void BM_AgeHybridIdentityParse(benchmark::State& state) {
    std::string text = age::HybridIdentity::generate().encode();
    for (auto _ : state) benchmark::DoNotOptimize(age::HybridIdentity::parse(text));
}
BENCHMARK(BM_AgeHybridIdentityParse);

void BM_DataKeyCacheHit(benchmark::State& state) {
    DataKeyCache cache(10000);
    for (int i = 0; i < 1000; ++i) cache.put("file-" + std::to_string(i), data_key());
    const std::string id = "file-500";
    for (auto _ : state) benchmark::DoNotOptimize(cache.get(id));
}
BENCHMARK(BM_DataKeyCacheHit);

}  // namespace

BENCHMARK_MAIN();
