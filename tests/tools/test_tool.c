/* A tool for the process tests. Its arguments are commands, run in order:
 *
 *   print TEXT          TEXT and a newline on stdout, flushed
 *   write TEXT          TEXT with \n \r \t \\ \xHH decoded, no newline, flushed
 *   lines N WIDTH       N lines "line K xxx..." of WIDTH bytes, K from 1,
 *                       through the stdio buffer, flushed at the end
 *   stderr TEXT         TEXT and a newline on stderr
 *   sleep SECONDS       sleeps, fractions allowed
 *   ignore-term         ignores SIGTERM from here on
 *   grandchild PIDFILE  forks a child of the same process group that writes
 *                       its pid to PIDFILE (through PIDFILE.tmp and a rename)
 *                       and sleeps 60 s; this process goes on at once
 *   close-output        closes stdout and stderr
 *   fds                 prints "fds: 0 1 2 ...", the open descriptors
 *   sigmask             prints the SigBlk and SigIgn lines of /proc/self/status
 *   env NAME            prints NAME=value, or "NAME unset"
 *   stdin               prints what descriptor 0 is open on
 *   endless BYTES       writes BYTES bytes of 'y' and no newline
 *   exit CODE           exits with CODE
 *   wait-file PATH      waits until PATH exists, polling every 5 ms, at most 60 s
 *   kill-self SIGNUM    ends itself with signal SIGNUM
 *   nice-cwd            prints "nice: N", its niceness, and "cwd: PATH", its
 *                       working folder
 *
 * After the last command it exits 0. An unknown command or a missing
 * argument is reported on stderr and exits 64. */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static char stdout_buffer[1 << 16];

static void fail_usage(const char* message, const char* what)
{
    fprintf(stderr, "test_tool: %s: %s\n", message, what);
    exit(64);
}

static size_t decode_escapes(const char* text, char* out)
{
    size_t length = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p != '\\' || p[1] == '\0') {
            out[length++] = *p;
            continue;
        }
        ++p;
        switch (*p) {
        case 'n':
            out[length++] = '\n';
            break;
        case 'r':
            out[length++] = '\r';
            break;
        case 't':
            out[length++] = '\t';
            break;
        case 'x': {
            char digits[3] = {0, 0, 0};
            int count = 0;
            while (count < 2 && p[1] != '\0' && strchr("0123456789abcdefABCDEF", p[1]) != NULL)
                digits[count++] = *++p;
            out[length++] = (char)strtol(digits, NULL, 16);
            break;
        }
        default:
            out[length++] = *p;
            break;
        }
    }
    return length;
}

static void sleep_seconds(double seconds)
{
    struct timespec left;
    left.tv_sec = (time_t)seconds;
    left.tv_nsec = (long)((seconds - (double)left.tv_sec) * 1e9);
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        continue;
}

static void print_lines(long count, long width)
{
    char* line = malloc((size_t)width + 2);
    if (line == NULL)
        exit(70);
    for (long k = 1; k <= count; ++k) {
        int prefix = snprintf(line, (size_t)width + 1, "line %ld ", k);
        if (prefix > width)
            prefix = (int)width;
        memset(line + prefix, 'x', (size_t)(width - prefix));
        line[width] = '\n';
        fwrite(line, 1, (size_t)width + 1, stdout);
    }
    free(line);
    fflush(stdout);
}

static void start_grandchild(const char* pidfile)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return;

    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", pidfile);
    FILE* file = fopen(temporary, "w");
    if (file != NULL) {
        fprintf(file, "%ld\n", (long)getpid());
        fclose(file);
        rename(temporary, pidfile);
    }
    sleep_seconds(60);
    _exit(0);
}

static void print_fds(void)
{
    DIR* folder = opendir("/proc/self/fd");
    if (folder == NULL)
        exit(70);
    int own = dirfd(folder);
    int fds[1024];
    int count = 0;
    struct dirent* entry;
    while ((entry = readdir(folder)) != NULL && count < 1024) {
        if (entry->d_name[0] == '.')
            continue;
        int fd = atoi(entry->d_name);
        if (fd != own)
            fds[count++] = fd;
    }
    closedir(folder);

    for (int i = 1; i < count; ++i)
        for (int j = i; j > 0 && fds[j - 1] > fds[j]; --j) {
            int swap = fds[j];
            fds[j] = fds[j - 1];
            fds[j - 1] = swap;
        }
    printf("fds:");
    for (int i = 0; i < count; ++i)
        printf(" %d", fds[i]);
    printf("\n");
    fflush(stdout);
}

static void print_sigmask(void)
{
    FILE* status = fopen("/proc/self/status", "r");
    if (status == NULL)
        exit(70);
    char line[512];
    while (fgets(line, sizeof line, status) != NULL)
        if (strncmp(line, "SigBlk:", 7) == 0 || strncmp(line, "SigIgn:", 7) == 0)
            fputs(line, stdout);
    fclose(status);
    fflush(stdout);
}

static void print_stdin(void)
{
    char target[4096];
    ssize_t length = readlink("/proc/self/fd/0", target, sizeof target - 1);
    if (length < 0)
        strcpy(target, "closed");
    else
        target[length] = '\0';
    printf("%s\n", target);
    fflush(stdout);
}

static void write_endless(long bytes)
{
    char chunk[4096];
    memset(chunk, 'y', sizeof chunk);
    while (bytes > 0) {
        size_t size = bytes < (long)sizeof chunk ? (size_t)bytes : sizeof chunk;
        fwrite(chunk, 1, size, stdout);
        bytes -= (long)size;
    }
    fflush(stdout);
}

static void kill_self(int signal_number)
{
    fflush(NULL);
    signal(signal_number, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal_number);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), signal_number);
    sleep_seconds(10);
    _exit(71);
}

static void wait_file(const char* path)
{
    for (int tries = 0; tries < 12000 && access(path, F_OK) != 0; ++tries)
        sleep_seconds(0.005);
}

static void print_nice_cwd(void)
{
    char folder[4096];
    if (getcwd(folder, sizeof folder) == NULL)
        strcpy(folder, "unknown");
    errno = 0;
    int niceness = getpriority(PRIO_PROCESS, 0);
    if (niceness == -1 && errno != 0)
        exit(70);
    printf("nice: %d\ncwd: %s\n", niceness, folder);
    fflush(stdout);
}

/* How many arguments each command takes; -1 for an unknown command. */
static int argument_count(const char* command)
{
    static const struct
    {
        const char* name;
        int arguments;
    } commands[] = {
        {"print", 1},       {"write", 1},      {"lines", 2},        {"stderr", 1}, {"sleep", 1},
        {"ignore-term", 0}, {"grandchild", 1}, {"close-output", 0}, {"fds", 0},    {"sigmask", 0},
        {"env", 1},         {"stdin", 0},      {"endless", 1},      {"exit", 1},   {"kill-self", 1},
        {"wait-file", 1},   {"nice-cwd", 0},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        if (strcmp(command, commands[i].name) == 0)
            return commands[i].arguments;
    return -1;
}

static void run(const char* command, char** args)
{
    const char* arg = args[0];
    if (strcmp(command, "print") == 0) {
        printf("%s\n", arg);
        fflush(stdout);
    } else if (strcmp(command, "write") == 0) {
        char* decoded = malloc(strlen(arg) + 1);
        if (decoded == NULL)
            exit(70);
        fwrite(decoded, 1, decode_escapes(arg, decoded), stdout);
        fflush(stdout);
        free(decoded);
    } else if (strcmp(command, "lines") == 0) {
        print_lines(atol(arg), atol(args[1]));
    } else if (strcmp(command, "stderr") == 0) {
        fprintf(stderr, "%s\n", arg);
    } else if (strcmp(command, "sleep") == 0) {
        sleep_seconds(atof(arg));
    } else if (strcmp(command, "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
    } else if (strcmp(command, "grandchild") == 0) {
        start_grandchild(arg);
    } else if (strcmp(command, "close-output") == 0) {
        fflush(NULL);
        close(1);
        close(2);
    } else if (strcmp(command, "fds") == 0) {
        print_fds();
    } else if (strcmp(command, "sigmask") == 0) {
        print_sigmask();
    } else if (strcmp(command, "env") == 0) {
        const char* value = getenv(arg);
        if (value != NULL)
            printf("%s=%s\n", arg, value);
        else
            printf("%s unset\n", arg);
        fflush(stdout);
    } else if (strcmp(command, "stdin") == 0) {
        print_stdin();
    } else if (strcmp(command, "endless") == 0) {
        write_endless(atol(arg));
    } else if (strcmp(command, "exit") == 0) {
        fflush(NULL);
        exit(atoi(arg));
    } else if (strcmp(command, "kill-self") == 0) {
        kill_self(atoi(arg));
    } else if (strcmp(command, "wait-file") == 0) {
        wait_file(arg);
    } else if (strcmp(command, "nice-cwd") == 0) {
        print_nice_cwd();
    }
}

int main(int argc, char** argv)
{
    setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);

    for (int i = 1; i < argc;) {
        int arguments = argument_count(argv[i]);
        if (arguments < 0)
            fail_usage("unknown command", argv[i]);
        if (i + arguments >= argc)
            fail_usage("missing argument of", argv[i]);
        run(argv[i], argv + i + 1);
        i += 1 + arguments;
    }
    return 0;
}
