// A whole encrypted file, as read from a tenant's repository: store, `sops` metadata, every
// envelope and the MAC, decrypted with a fixed data key. The first byte picks the format.
#include "fuzz_support.hpp"
#include "sopskit/format.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/sops_file.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const SecureBytes key = SecureBytes::from(std::string(32, 'k'));
    auto format = static_cast<Format>(data[0] % 5);
    std::string_view file = fuzz::text_of(data + 1, size - 1);
    fuzz::refusing_is_fine([&] {
        SplitFile split = load_encrypted(format, file);
        Metadata md = parse_metadata(split.metadata);
        (void)serialize_metadata(md);
    });
    fuzz::refusing_is_fine([&] { (void)decrypt_document_with_key(file, format, key.clone()); });
    return 0;
}
