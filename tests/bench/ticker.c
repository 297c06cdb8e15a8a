/* Prints one line a second for N seconds (the last argument, 20 when
 * absent or not a number), `tick I of N`, the first at once: the slow tool
 * the benchmarks run a thousand of at the same time. */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv)
{
    long seconds = argc > 1 ? strtol(argv[argc - 1], NULL, 10) : 20;
    if (seconds <= 0)
        seconds = 20;

    /* each tick at its own second from the start, so that drift does not add up */
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 1; i <= seconds; ++i) {
        printf("tick %ld of %ld\n", i, seconds);
        fflush(stdout);
        if (i == seconds)
            break;
        struct timespec next = {start.tv_sec + i, start.tv_nsec};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0)
            ;
    }
    return 0;
}
