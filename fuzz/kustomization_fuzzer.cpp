// Phase 1's kustomization walker: the input is a tenant's kustomization.yaml, in a private
// folder that holds nothing else, so every reference it makes must be refused cleanly.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz_support.hpp"
#include "sopskit/decryptor.hpp"

using namespace sopskit;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string root = [] {
        std::string tmpl = (fs::temp_directory_path() / "sopskit-fuzz-XXXXXX").string();
        return std::string(::mkdtemp(tmpl.data()));
    }();
    static const Decryptor decryptor(DecryptionKeys::from_entries({}, "flux-system/fuzz"), DecryptorOptions{false, nullptr, 1});
    std::ofstream(root + "/kustomization.yaml", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    fuzz::refusing_is_fine([&] { decryptor.decrypt_sources(root, "."); });
    return 0;
}
