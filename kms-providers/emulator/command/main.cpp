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

int serve(CommandLine& o) {
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

    sopskit::kms_emulator::Emulator emulator(o.options);
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
