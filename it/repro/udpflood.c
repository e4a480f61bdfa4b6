/* udpflood send ADDR PORT COUNT RATE | udpflood recv PORT COUNT SECONDS
 * send: COUNT datagrams numbered 0.. at RATE a second (each carries its number and its send time).
 * recv: counts what arrives until all COUNT came, or 1 s after the last one, or SECONDS in all; prints
 * received, lost, and each run of lost numbers with its send-time window (CLOCK_REALTIME). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct msg { uint32_t seq; uint32_t pad; int64_t ns; };

static int64_t now(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(int argc, char **argv) {
    if (argc == 6 && !strcmp(argv[1], "send")) {
        long count = atol(argv[4]), rate = atol(argv[5]);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
        inet_pton(AF_INET, argv[2], &to.sin_addr);
        int64_t start = now(CLOCK_MONOTONIC);
        long failed = 0;
        for (long i = 0; i < count; i++) {
            int64_t due = start + i * 1000000000LL / rate;
            while (now(CLOCK_MONOTONIC) < due) { struct timespec t = {0, 20000}; nanosleep(&t, NULL); }
            struct msg m = { .seq = (uint32_t) i, .ns = now(CLOCK_REALTIME) };
            if (sendto(s, &m, sizeof(m), 0, (struct sockaddr *) &to, sizeof(to)) < 0) failed++;
        }
        if (failed) printf("send errors %ld\n", failed);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "recv")) {
        long count = atol(argv[3]);
        double limit = atof(argv[4]);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        int big = 4 << 20;
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
        struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
        if (bind(s, (struct sockaddr *) &me, sizeof(me)) < 0) { perror("bind"); return 1; }
        struct timeval tv = { 0, 100000 };
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int64_t *sent = calloc(count, sizeof(int64_t));
        char *got = calloc(count, 1);
        long received = 0, dup = 0;
        int64_t begin = now(CLOCK_MONOTONIC), last = 0;
        while (received < count) {
            int64_t t = now(CLOCK_MONOTONIC);
            if ((t - begin) / 1e9 > limit || (last && t - last > 1000000000LL)) break;
            struct msg m;
            if (recv(s, &m, sizeof(m), 0) != sizeof(m)) continue;
            last = now(CLOCK_MONOTONIC);
            if (m.seq >= count) continue;
            if (got[m.seq]) { dup++; continue; }
            got[m.seq] = 1; sent[m.seq] = m.ns; received++;
        }
        printf("received %ld lost %ld duplicated %ld\n", received, count - received, dup);
        for (long i = 0; i < count; i++) {
            if (got[i]) continue;
            long j = i; while (j + 1 < count && !got[j + 1]) j++;
            int64_t before = i > 0 ? sent[i - 1] : 0, after = j + 1 < count ? sent[j + 1] : 0;
            printf("  lost %ld..%ld (%ld), sent between %.6f and %.6f\n", i, j, j - i + 1, before / 1e9, after / 1e9);
            i = j;
        }
        return 0;
    }
    fprintf(stderr, "usage: udpflood send ADDR PORT COUNT RATE | udpflood recv PORT COUNT SECONDS\n");
    return 2;
}
