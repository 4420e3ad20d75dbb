// Flux's postBuild variable substitution (fluxcd/pkg/envsubst, a fork of drone/envsubst):
// `${var}` and bash-like operators over a text, `$var` without braces left alone.
//
//   ${var}  ${#var}  ${var^} ${var^^} ${var,} ${var,,}  ${var:pos} ${var:pos:len}
//   ${var#glob} ${var##glob} ${var%glob} ${var%%glob}   ${var/pat/rep} ${var//pat/rep}
//   ${var/#pat/rep} ${var/%pat/rep}   ${var=def} ${var:=def} ${var:-def} ${var:+def} ${var:?def}
//   $$ -> $ (so $${var} stays ${var})
//
// Every default operator (=, :=, :-, :+, :?) means "the default when the value is empty", as
// in Flux (not bash). The input is a tenant's manifest: parsing is a bounded, hand-written
// scanner (nesting depth, output size and pattern-matching work are capped).
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace sopskit {

struct EnvsubstOptions {
    // Flux's strict mode (--feature-gates=StrictPostBuildSubstitutions): a variable that is not
    // in `vars` is an error unless its operator supplies a default. Otherwise it is "".
    bool strict = false;
};

// Substitutes `vars` into `text`. Throws Error with Flux's texts ("bad substitution",
// "missing closing brace", `variable not set (strict mode): "x"`, ...); messages name
// variables, never values.
std::string flux_envsubst(std::string_view text, const std::map<std::string, std::string>& vars,
                          const EnvsubstOptions& opts = {});

}  // namespace sopskit
