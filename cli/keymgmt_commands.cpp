// updatekeys, set, unset, filestatus: sops' key-management commands.
#include <iostream>

#include "batch.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/keymgmt.hpp"

namespace sopskit::cli {

namespace {

// Errors of single-file commands name the file, as every sopskit error does.
template <class F>
int naming_file(const std::string& path, F&& f) {
    try {
        return f();
    } catch (const Error& e) {
        if (sops_style_errors()) throw;
        throw Error(e.code(), path + ": " + e.what());
    }
}

struct UpdateKeysOptions {
    FileOptions file;
    bool yes = false;
};

int run_updatekeys(UpdateKeysOptions& u) {
    finish_file_options(u.file);
    const FileOptions& o = u.file;
    KeyRing ring = keyring_for(o);
    // Interactive confirmation only for a single file on a terminal; batches need -y.
    bool batch = is_batch(o.files);
    if (batch && !u.yes) throw Error(ErrorCode::ConflictingParameters, "updatekeys on several files needs -y/--yes");
    auto update = [&](const std::string& path) -> FileOutcome {
        std::string bytes = read_input(path);
        Format f = formats_for(o, path).in;
        if (!is_encrypted_file(bytes, f)) {
            if (batch) return {std::nullopt, "skipped"};
            // One file named by the user: say why it is not SOPS, as decrypt does.
            SplitFile split;
            try {
                split = load_encrypted(f, bytes, store_options(o));
            } catch (const Error& e) {
                // A plaintext file: sops' own line and exit code 1, as decrypt says it.
                if (e.code() == ErrorCode::Generic && std::string_view(e.what()) == "sops metadata not found") throw;
                throw Error(ErrorCode::CannotReadInput, std::string("Error unmarshalling input: ") + e.what());
            }
            parse_metadata(split.metadata);
        }
        std::optional<CreationRule> rule = config_rule_for(o, path);
        if (!rule) throw Error(ErrorCode::ConfigFileNotFound, "no .sops.yaml with creation_rules found for this file");
        SplitFile split = load_encrypted(f, bytes, store_options(o));
        KeyUpdate plan = plan_key_update(parse_metadata(split.metadata), ring, *rule, o.shamir_threshold);
        if (!plan.changes()) return {std::nullopt, "unchanged"};
        if (!batch) {
            std::cout << plan.describe();
            if (!u.yes) {
                std::string answer;
                while (answer != "y" && answer != "n") {
                    std::cout << "Is this okay? (y/n):" << std::flush;
                    if (!std::getline(std::cin, answer)) return {std::nullopt, "unchanged"};
                }
                if (answer == "n") return {std::nullopt, "unchanged"};
            }
        }
        return {apply_key_update(bytes, f, ring, *rule, plan, store_options(o)), "updated"};
    };
    if (batch) return run_batch(o.files, update, BatchOptions{o.json, o.fail_fast, 0});
    FileOutcome out = update(o.file);
    if (out.new_contents) write_output(o.file, *out.new_contents, Privacy::Shared);
    else std::cerr << "File " << o.file << " already up to date\n";
    return 0;
}

struct SetOptions {
    FileOptions file;
    std::vector<std::string> args;  // file, index, [value]
    bool value_file = false;
    bool value_stdin = false;
    bool idempotent = false;
};

// sops' set: decrypt, set the value, re-encrypt with the same data key, write the file back.
int set_in_file(const FileOptions& o, const TreePath& path, Value value, bool idempotent) {
    KeyRing ring = keyring_for(o);
    Formats f = formats_for(o, o.file);
    DecryptOptions dopts;
    dopts.ignore_mac = o.ignore_mac;
    StoreOptions store = store_options(o);
    DecryptedFile dec = decrypt_document(read_input(o.file), f.in, ring, dopts, store);
    if (dec.branches.empty()) dec.branches.emplace_back();
    bool changed = set_value(dec.branches.front(), path, std::move(value));
    if (!changed && idempotent) return 0;
    // As sops, the file is written back in the output type (--output-type, else its name's).
    std::string out = encrypt_with_metadata(std::move(dec.branches), std::move(dec.metadata), dec.data_key, f.out, store, &dec.ivs);
    write_output(o.file, out, Privacy::Shared);
    return 0;
}

int run_set(SetOptions& s) {
    if (s.value_file && s.value_stdin) throw Error(ErrorCode::Generic, "Error: cannot use both --value-file and --value-stdin");
    std::size_t need = s.value_stdin ? 2 : 3;
    if (s.args.size() != need)
        throw Error(ErrorCode::NoFileSpecified,
                    s.value_stdin ? "Error: file specified, or index and value are missing. Need precisely 2 positional arguments since --value-stdin is used."
                                  : "Error: no file specified, or index and value are missing. Need precisely 3 positional arguments.");
    FileOptions& o = s.file;
    o.file = s.args[0];
    TreePath path;
    try {
        path = parse_tree_path(s.args[1]);
    } catch (const Error&) {
        throw Error(ErrorCode::InvalidSetFormat, "Invalid set index format");
    }
    std::string raw = s.value_stdin ? read_input("-") : s.value_file ? read_input(s.args[2]) : s.args[2];
    Value value = parse_set_value(raw);
    wipe(raw);
    return set_in_file(o, path, std::move(value), s.idempotent);
}

struct UnsetOptions {
    FileOptions file;
    std::vector<std::string> args;  // file, index
    bool idempotent = false;
};

int run_unset(UnsetOptions& u) {
    if (u.args.size() != 2) throw Error(ErrorCode::NoFileSpecified, "Error: no file specified, or index is missing");
    FileOptions& o = u.file;
    o.file = u.args[0];
    TreePath path;
    try {
        path = parse_tree_path(u.args[1]);
    } catch (const Error&) {
        throw Error(ErrorCode::InvalidSetFormat, "Invalid unset index format");
    }
    KeyRing ring = keyring_for(o);
    Format f = formats_for(o, o.file).in;
    DecryptOptions dopts;
    dopts.ignore_mac = o.ignore_mac;
    bool missing = false;
    std::string out = rewrite_document(read_input(o.file), f, ring, dopts, store_options(o), [&](Branches& docs) {
        if (docs.empty()) throw Error(ErrorCode::NeedAtLeastOneDocument, "the file has no document");
        try {
            unset_value(docs.front(), path);
        } catch (const Error&) {
            if (!u.idempotent) throw;
            missing = true;
        }
    });
    if (missing) return 0;
    write_output(o.file, out, Privacy::Shared);
    return 0;
}

struct StatusOptions {
    std::string file;
    std::string input_type;
};

int run_filestatus(const StatusOptions& s) {
    FileOptions o;
    o.input_type = s.input_type;
    Format f = formats_for(o, s.file).in;
    bool encrypted = is_encrypted_file(read_input(s.file), f);
    std::cout << (encrypted ? "{\"encrypted\":true}" : "{\"encrypted\":false}") << "\n";
    return 0;
}

void add_type_options(CLI::App& app, FileOptions& o) {
    app.add_option("--input-type", o.input_type, "Input format (default: from the extension)");
    app.add_option("--output-type", o.output_type, "Output format (default: as the input)");
    app.add_flag("--ignore-mac", o.ignore_mac, "Ignore the MAC when decrypting");
    app.add_option("--decryption-order", o.decryption_order, "Key kinds to try first, comma-separated");
    app.add_option("--indent", o.indent, "Spaces to indent YAML or JSON output with");
    // sops takes it here too; the file's key groups (and threshold) are kept as they are.
    app.add_option("--shamir-secret-sharing-threshold", o.shamir_threshold, "Accepted as sops does; the file's threshold is kept");
}

}  // namespace

int run_legacy_set(const FileOptions& o, const std::string& spec) {
    // sops' extractSetArguments: "INDEX VALUE", split after the first "] ".
    std::size_t split = spec.find("] ");
    if (split == std::string::npos) throw Error(ErrorCode::InvalidSetFormat, "Invalid --set format");
    std::string index = spec.substr(0, split + 1);
    Value value = parse_set_value(spec.substr(split + 2));
    TreePath path;
    try {
        path = parse_tree_path(index);
    } catch (const Error&) {
        throw Error(ErrorCode::InvalidSetFormat, "Invalid --set format");
    }
    if (o.file.empty()) throw Error(ErrorCode::NoFileSpecified, "Error: no file specified");
    return set_in_file(o, path, std::move(value), false);
}

void add_keymgmt_commands(CLI::App& app, Runner& runner) {
    static UpdateKeysOptions upd;
    CLI::App* u = app.add_subcommand("updatekeys", "Make the files' recipients match their .sops.yaml creation rule");
    u->add_option("file", upd.file.files, "Files or folders")->required();
    u->add_flag("-y,--yes", upd.yes, "Do not ask for confirmation");
    u->add_option("--config", upd.file.config, "Path to the .sops.yaml to use");
    u->add_option("--input-type", upd.file.input_type, "Input format (default: from the extension)");
    u->add_option("--shamir-secret-sharing-threshold", upd.file.shamir_threshold, "Number of key groups needed to decrypt");
    u->add_flag("--json", upd.file.json, "Batch runs: one JSON record per file");
    u->add_flag("--fail-fast", upd.file.fail_fast, "Batch runs: stop at the first failure");
    add_keyservice_flags(*u, upd.file);
    u->callback([&runner] { runner = [] { return naming_file(upd.file.files.empty() ? "" : upd.file.files[0], [] { return run_updatekeys(upd); }); }; });

    static SetOptions set_opts;
    CLI::App* s = app.add_subcommand("set", "Set a value in an encrypted file, e.g. set auth.yaml '[\"stringData\"][\"password\"]' '\"new\"'");
    // Raw extras, not a vector option: CLI11 would read '["a"]' as a bracketed list.
    s->allow_extras();
    s->footer("Arguments: FILE INDEX [VALUE]; VALUE is JSON.");
    s->add_flag("--value-file", set_opts.value_file, "Treat 'value' as a file to read the JSON value from");
    s->add_flag("--value-stdin", set_opts.value_stdin, "Read the JSON value from standard input");
    s->add_flag("--idempotent", set_opts.idempotent, "Do not rewrite the file when the value is already set");
    add_type_options(*s, set_opts.file);
    s->callback([&runner, s] {
        set_opts.args = s->remaining();
        runner = [] { return naming_file(set_opts.args.empty() ? "" : set_opts.args[0], [] { return run_set(set_opts); }); };
    });

    static UnsetOptions unset_opts;
    CLI::App* un = app.add_subcommand("unset", "Remove a key from an encrypted file, e.g. unset auth.yaml '[\"data\"][\"old\"]'");
    un->allow_extras();
    un->footer("Arguments: FILE INDEX");
    un->add_flag("--idempotent", unset_opts.idempotent, "Succeed when the key is already absent");
    add_type_options(*un, unset_opts.file);
    un->callback([&runner, un] {
        unset_opts.args = un->remaining();
        runner = [] { return naming_file(unset_opts.args.empty() ? "" : unset_opts.args[0], [] { return run_unset(unset_opts); }); };
    });

    static StatusOptions st;
    CLI::App* fs = app.add_subcommand("filestatus", "Print {\"encrypted\":true|false} for a file");
    fs->add_option("file", st.file, "The file")->required();
    fs->add_option("--input-type", st.input_type, "Input format (default: from the extension)");
    fs->callback([&runner] { runner = [] { return naming_file(st.file, [] { return run_filestatus(st); }); }; });
}

}  // namespace sopskit::cli
