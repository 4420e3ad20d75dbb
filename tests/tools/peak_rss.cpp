// peak_rss PROGRAM [ARGS...]: runs PROGRAM with its output sent to /dev/null and prints
// "<exit status> <peak RSS in KiB>" of that one process.
//
// Why a separate small program: Linux starts a forked child's peak RSS at its parent's and keeps
// that peak across exec, so wait4() in a large test process (a sanitized one above all) reports
// the test's own peak, not the child's. Forked from this small process, the child's figure is
// its own.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: peak_rss PROGRAM [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        std::perror("peak_rss: fork");
        return 2;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int status = 0;
    struct rusage usage {};
    if (wait4(pid, &status, 0, &usage) != pid) {
        std::perror("peak_rss: wait4");
        return 2;
    }
    int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::printf("%d %ld\n", exit_status, usage.ru_maxrss);
    return 0;
}
