// Phase 1's kustomization walker: the input is a tenant's kustomization.yaml, in a private
// folder that also holds what a hostile repository would (symlinks in and out of the root, a
// loop, a folder where a file is expected, a second kustomization), so the walk's path
// resolution is exercised too; every reference must resolve inside the folder or be refused.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz_support.hpp"
#include "sopskit/decryptor.hpp"

using namespace sopskit;
namespace fs = std::filesystem;

namespace {

// The private folder the input is written to; removed when the fuzzer exits normally.
struct ScratchFolder {
    std::string path;
    ScratchFolder() {
        // One file write per execution: on a disk-backed /tmp the writeback, not sopskit, would
        // set the pace (3x slower), so tmpfs is used where there is one.
        fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        std::string tmpl = (base / "sopskit-fuzz-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
        fs::create_directories(path + "/sub");
        fs::create_directories(path + "/dir.env");
        std::ofstream(path + "/plain.env") << "K=v\n";
        std::ofstream(path + "/sub/kustomization.yaml")
            << "resources: [.., ../loop, ../up/x, ../abs/sub, file:///sub]\n"
               "secretGenerator:\n- name: s\n  files: [a.env=../plain.env, ../dir.env]\n  envs: [../insub/../up/plain.env]\n"
               "patches:\n- path: ../abs/plain.env\n";
        fs::create_symlink("loop", path + "/loop");
        fs::create_symlink("../..", path + "/up");
        fs::create_symlink("/", path + "/abs");
        fs::create_symlink("sub", path + "/insub");
    }
    ~ScratchFolder() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const ScratchFolder root;
    static const Decryptor decryptor(DecryptionKeys::from_entries({}, "flux-system/fuzz"), DecryptorOptions{false, nullptr, 1});
    std::ofstream(root.path + "/kustomization.yaml", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    fuzz::refusing_is_fine([&] { decryptor.decrypt_sources(root.path, "."); });
    return 0;
}
