// Base64 as Go's StdEncoding writes it (core/base64.hpp): RFC 4648's vectors, and every length
// against a plain six-bits-at-a-time encoding written here.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/base64.hpp"

using namespace sopskit::detail;

namespace {

std::string six_bits_at_a_time(const std::string& in) {
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bits;
    for (unsigned char c : in)
        for (int b = 7; b >= 0; --b) bits += ((c >> b) & 1) ? '1' : '0';
    while (bits.size() % 6) bits += '0';
    std::string out;
    for (std::size_t i = 0; i < bits.size(); i += 6) out += alphabet[std::stoi(bits.substr(i, 6), nullptr, 2)];
    while (out.size() % 4) out += '=';
    return out;
}

}  // namespace

TEST(Base64, Rfc4648Vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, EveryLengthMatchesTheBitwiseEncodingAndDecodesBack) {
    std::mt19937 rng(7);
    for (std::size_t n = 0; n < 200; ++n) {
        std::string in(n, '\0');
        for (auto& c : in) c = static_cast<char>(rng());
        std::string expected = six_bits_at_a_time(in);
        ASSERT_EQ(base64_encode(in), expected) << n;
        std::string appended = "prefix";
        base64_encode_append(appended, in);
        EXPECT_EQ(appended, "prefix" + expected);
        EXPECT_EQ(base64_length(n), expected.size());
        EXPECT_EQ(base64_decode(expected), in);
    }
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    EXPECT_EQ(base64_encode(all), six_bits_at_a_time(all));
}
