// sopskit kms-emulator: serve the four KMS wire protocols locally until SIGTERM/SIGINT.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "sopskit/kms/emulator.hpp"
#include "sopskit/error.hpp"

namespace sopskit::cli {

namespace {

struct EmulatorCli {
    kms_emulator::Options options;
    std::string listen = "127.0.0.1:0";
    std::string cert_out;
    std::string ready_file;
};

void write_text(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        if (!out) throw Error(ErrorCode::Generic, "cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(ErrorCode::Generic, "cannot write " + path);
}

int run(EmulatorCli& o) {
    size_t colon = o.listen.rfind(':');
    if (colon == std::string::npos) throw Error(ErrorCode::Generic, "--listen wants HOST:PORT, e.g. 127.0.0.1:0");
    o.options.host = o.listen.substr(0, colon);
    if (o.options.host.size() > 1 && o.options.host.front() == '[') o.options.host = o.options.host.substr(1, o.options.host.size() - 2);
    try {
        o.options.port = std::stoi(o.listen.substr(colon + 1));
    } catch (const std::exception&) {
        throw Error(ErrorCode::Generic, "--listen: bad port in " + o.listen);
    }

    // Block the stop signals before any server thread exists, then wait for one here.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    kms_emulator::Emulator emulator(o.options);
    emulator.start();
    if (!o.cert_out.empty()) write_text(o.cert_out, emulator.cert_pem());
    std::cout << emulator.cert_pem() << emulator.url() << std::endl;
    if (!o.ready_file.empty()) write_text(o.ready_file, emulator.url() + "\n");

    int sig = 0;
    sigwait(&stop_signals, &sig);
    emulator.stop();
    if (!o.ready_file.empty()) std::remove(o.ready_file.c_str());
    return 0;
}

}  // namespace

void add_kms_emulator_command(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<EmulatorCli>();
    CLI::App* cmd = app.add_subcommand(
        "kms-emulator",
        "Serve AWS KMS (+STS), GCP Cloud KMS, Azure Key Vault and Vault transit locally over HTTPS, for offline tests");
    cmd->add_option("--state", o->options.state_path, "JSON state file with keys and test credentials (created 0600 if missing)")->required();
    cmd->add_option("--listen", o->listen, "Address to listen on; port 0 picks a free port")->capture_default_str();
    cmd->add_option("--cert-out", o->cert_out, "Write the generated self-signed certificate (PEM) to this file");
    cmd->add_option("--ready-file", o->ready_file, "Write https://HOST:PORT to this file once serving");
    cmd->add_option("--log", o->options.log_path, "Append the call log here instead of standard error");
    cmd->add_option("--fail-next", o->options.fail_next,
                    "Inject failures: SERVICE:STATUS[:COUNT] (service aws, sts, gcp, azure, vault, token or *)");
    cmd->add_option("--san", o->options.extra_names, "Extra DNS name or IP for the certificate");
    cmd->add_option("--token-ttl", o->options.token_ttl_seconds, "Lifetime in seconds of tokens issued (overrides the state file)");
    cmd->callback([o, &runner] { runner = [o] { return run(*o); }; });
}

}  // namespace sopskit::cli
