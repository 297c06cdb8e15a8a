/* Prints N lines of 80 bytes (79 characters and a newline) as fast as it
 * can, in large writes: the tool the benchmarks stream through a job. N is
 * the last argument, so that the tool also runs under the name of a
 * pipeline tool whose route passes other arguments first. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s [ARG...] LINES\n", argv[0]);
        return 64;
    }
    long lines = strtol(argv[argc - 1], NULL, 10);

    static char buffer[1 << 16];
    size_t used = 0;
    for (long i = 0; i < lines; ++i) {
        if (used + 80 > sizeof buffer) {
            if (write(1, buffer, used) != (ssize_t)used)
                return 1;
            used = 0;
        }
        int n = snprintf(buffer + used, 80, "line %ld ", i);
        memset(buffer + used + n, 'x', 79 - n);
        buffer[used + 79] = '\n';
        used += 80;
    }
    if (used > 0 && write(1, buffer, used) != (ssize_t)used)
        return 1;
    return 0;
}
