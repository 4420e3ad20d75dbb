// How a key source reads its environment: the process environment, or a filtered view of it
// (a Flux tenant must not pick up the controller's credentials).
#pragma once
#include <functional>
#include <optional>
#include <string>

namespace sopskit::kms {

using Env = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment; empty values count as unset.
Env process_env();
// Only the variables that redirect or tune transport (endpoint overrides, CA files, retry and
// timeout knobs) pass; every credential, profile or token variable reads as unset.
Env transport_only_env(Env parent);
// A fixed map, for tests.
Env map_env(std::function<std::optional<std::string>(const std::string&)> f);

// Value or fallback.
std::string env_or(const Env& env, const std::string& name, const std::string& fallback = "");

}  // namespace sopskit::kms

namespace sopskit::kms {
struct KmsSettings;
// The environment view a source uses: settings.env (or the process environment), reduced to
// transport settings when settings.isolated.
Env env_of(const KmsSettings& settings);
// settings.home, else $HOME from the (non-isolated) environment.
std::string home_of(const KmsSettings& settings);
}  // namespace sopskit::kms
