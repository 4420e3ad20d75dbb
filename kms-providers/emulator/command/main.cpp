// sopskit-kms-emulator: serve the four KMS wire protocols locally until SIGTERM/SIGINT. Its own
// executable so that sopskit itself does not load cpp-httplib at every start.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "command_line.hpp"
#include "sopskit/error.hpp"

namespace {

using sopskit::Error;
using sopskit::ErrorCode;
using sopskit::kms_emulator::CommandLine;

void write_text(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        if (!out) throw Error(ErrorCode::Generic, "cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(ErrorCode::Generic, "cannot write " + path);
}

// "HOST:PORT" or "[V6]:PORT" into its parts; `flag` names the option in messages.
void split_listen(const std::string& listen, const char* flag, std::string& host, int& port) {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) throw Error(ErrorCode::Generic, std::string(flag) + " wants HOST:PORT, e.g. 127.0.0.1:0");
    host = listen.substr(0, colon);
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    try {
        port = std::stoi(listen.substr(colon + 1));
    } catch (const std::exception&) {
        throw Error(ErrorCode::Generic, std::string(flag) + ": bad port in " + listen);
    }
    if (port < 0 || port > 65535) throw Error(ErrorCode::Generic, std::string(flag) + ": bad port in " + listen);
}

int serve(CommandLine& o) {
    split_listen(o.listen, "--listen", o.options.host, o.options.port);
    if (!o.vault_kv_listen.empty()) split_listen(o.vault_kv_listen, "--vault-kv-listen", o.options.vault_kv_host, o.options.vault_kv_port);
    if (!o.vault_kv_ready_file.empty() && o.vault_kv_listen.empty())
        throw Error(ErrorCode::Generic, "--vault-kv-ready-file needs --vault-kv-listen");

    // Block the stop signals before any server thread exists, then wait for one here.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    sopskit::kms_emulator::Emulator emulator(o.options);
    emulator.start();
    if (!o.cert_out.empty()) write_text(o.cert_out, emulator.cert_pem());
    std::cout << emulator.cert_pem() << emulator.url() << std::endl;
    if (!o.ready_file.empty()) write_text(o.ready_file, emulator.url() + "\n");
    if (!o.vault_kv_ready_file.empty()) write_text(o.vault_kv_ready_file, emulator.vault_kv_url() + "\n");

    int sig = 0;
    sigwait(&stop_signals, &sig);
    emulator.stop();
    if (!o.ready_file.empty()) std::remove(o.ready_file.c_str());
    if (!o.vault_kv_ready_file.empty()) std::remove(o.vault_kv_ready_file.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{std::string("sopskit-kms-emulator: ") + sopskit::kms_emulator::kCommandSummary};
    CommandLine line;
    sopskit::kms_emulator::add_command_options(app, line);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(ErrorCode::Generic);
    }
    try {
        return serve(line);
    } catch (const Error& e) {
        std::cerr << "sopskit-kms-emulator: " << e.what() << "\n";
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "sopskit-kms-emulator: " << e.what() << "\n";
        return 1;
    }
}
