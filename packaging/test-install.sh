#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds and runs a tiny consumer with
# find_package(sopskit) and with pkg-config, then builds the .deb and checks its contents.
set -euo pipefail
build="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir="$(dirname "$(find "$prefix" -name 'libsopskit.so' | head -n1)")"

mkdir -p "$tmp/consumer"
cat > "$tmp/consumer/main.cpp" <<'CPP'
#include <sopskit/sopskit.hpp>
#include <iostream>
int main() {
    auto id = sopskit::age::X25519Identity::generate();
    sopskit::age::IdentitySet ids;
    ids.add(id.clone());
    sopskit::KeyRing ring;
    ring.add(sopskit::make_age_key_source(std::move(ids)));
    sopskit::EncryptRequest req;
    req.key_groups = {{{"age", id.recipient(), {}}}};
    std::string enc = sopskit::encrypt_document("password: hunter2\n", req, ring);
    auto dec = sopskit::decrypt_document(enc, sopskit::Format::Yaml, ring);
    std::cout << dec.branches[0][0].value.text << " " << sopskit::kVersion << "\n";
}
CPP
cat > "$tmp/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(sopskit CONFIG REQUIRED)
add_executable(consumer_shared main.cpp)
target_link_libraries(consumer_shared PRIVATE sopskit::sopskit)
add_executable(consumer_static main.cpp)
target_link_libraries(consumer_static PRIVATE sopskit::static)
CMAKE
# On failure, the compiler's and linker's own complaints go last, where a CI excerpt shows them.
if ! cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/consumer.log" 2>&1 ||
   ! cmake --build "$tmp/consumer/build" -j2 >>"$tmp/consumer.log" 2>&1; then
  echo "consumer build failed; free space: $(df -h --output=avail "$tmp" | tail -n1)"
  grep -E "error|undefined|ld:|No space|signal" "$tmp/consumer.log" | head -n 8
  exit 1
fi
test "$(LD_LIBRARY_PATH="$libdir" "$tmp/consumer/build/consumer_shared" | cut -d' ' -f1)" = hunter2
test "$("$tmp/consumer/build/consumer_static" | cut -d' ' -f1)" = hunter2
echo "find_package: shared and static consumers work"

export PKG_CONFIG_PATH="$libdir/pkgconfig"
g++ -std=c++20 "$tmp/consumer/main.cpp" -o "$tmp/consumer_pc" $(pkg-config --define-prefix --cflags --libs sopskit)
test "$(LD_LIBRARY_PATH="$libdir" "$tmp/consumer_pc" | cut -d' ' -f1)" = hunter2
echo "pkg-config: consumer works"

(cd "$build" && cpack -G DEB -B "$tmp/deb" >/dev/null)
deb="$(ls "$tmp"/deb/*.deb)"
dpkg -x "$deb" "$tmp/root"
for f in usr/bin/sopskit usr/include/sopskit/sopskit.hpp usr/include/sopskit/version.hpp usr/share/man/man1/sopskit.1 \
         usr/share/man/man1/sopskit-encrypt.1 usr/share/bash-completion/completions/sopskit usr/share/zsh/vendor-completions/_sopskit; do
  test -e "$tmp/root/$f" || { echo "missing in the .deb: $f"; exit 1; }
done
find "$tmp/root" -name 'libsopskit.so*' | grep -q . || { echo "missing in the .deb: libsopskit.so"; exit 1; }
find "$tmp/root" -name 'sopskitConfig.cmake' | grep -q . || { echo "missing in the .deb: sopskitConfig.cmake"; exit 1; }
depends="$(dpkg-deb -f "$deb" Depends)"
# libssl3 (libcrypto): the sopskit command opens it on first use (cli/lazy_libcrypto.S), so only
# libsopskit.so, which links it, makes dpkg-shlibdeps name it.
expected="libgpgme11 libsodium23 libfyaml0 libssh libssl3"
# libcurl is loaded with dlopen for cloud KMS keys, so the package names it by hand.
grep -q '^SOPSKIT_WITH_KMS:BOOL=ON' "$build/CMakeCache.txt" && expected="$expected libcurl4"
for lib in $expected; do
  echo "$depends" | grep -q "$lib" || { echo "Depends lacks $lib: $depends"; exit 1; }
done
"$tmp/root/usr/bin/sopskit" --version >/dev/null
if grep -q '^SOPSKIT_WITH_KMS:BOOL=ON' "$build/CMakeCache.txt"; then
  "$tmp/root/usr/bin/sopskit" kms-emulator --help | grep -q -- '--state' || { echo "sopskit kms-emulator --help lacks its options"; exit 1; }
  test -x "$tmp/root/usr/bin/sopskit-kms-emulator" || { echo "missing in the .deb: usr/bin/sopskit-kms-emulator"; exit 1; }
fi
echo ".deb: contents and Debian dependencies ok ($depends)"
echo "1 passed, 0 failed"
