// probe.c: what a process sees of the CPU, for scripts/emulate-cpu/check.sh.
//   probe            prints "main: avx512f=B avx512bw=B avx512vnni=B avx2=B fma=B builtin_avx512f=B"
//                    (CPUID leaf 7 bits read by this thread, and the compiler runtime's view),
//                    then the same line as read by a thread started afterwards ("thread: ...")
//   probe segv       writes through a null pointer (a real fault must still kill the process)
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void line(const char *who) {
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    uint32_t a1, b1, c1, d1;
    __asm__ volatile("cpuid" : "=a"(a1), "=b"(b1), "=c"(c1), "=d"(d1) : "a"(1), "c"(0));
    __builtin_cpu_init();
    printf("%s: avx512f=%u avx512bw=%u avx512vnni=%u avx2=%u fma=%u builtin_avx512f=%d\n", who,
           (b >> 16) & 1, (b >> 30) & 1, (c >> 11) & 1, (b >> 5) & 1, (c1 >> 12) & 1,
           __builtin_cpu_supports("avx512f") ? 1 : 0);
}

static void *in_thread(void *unused) { (void)unused; line("thread"); return NULL; }

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "segv") == 0) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
        return 0;
    }
    line("main");
    pthread_t t;
    pthread_create(&t, NULL, in_thread, NULL);
    pthread_join(t, NULL);
    return 0;
}
