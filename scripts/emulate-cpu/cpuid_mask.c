// cpuid_mask.c: make a process (and every thread and child it starts) see a CPU without
// AVX-512, so that every library in it (ONNX Runtime's MLAS, PyTorch's FBGEMM and oneDNN,
// OpenBLAS, our own kernels) takes its AVX2 path on an AVX-512 machine. Benchmarks use it to
// time peers and ours on the same paths a Zen 3 or Haswell would run (scripts/emulate-cpu.sh).
//
// How: Linux's CPUID faulting (arch_prctl(ARCH_SET_CPUID, 0), /proc/cpuinfo flag cpuid_fault)
// makes the CPUID instruction raise SIGSEGV in this thread and in threads and children created
// after. The SIGSEGV handler runs the real CPUID with faulting briefly off, clears the
// AVX-512 bits (and AVX-VNNI, which no AVX2-only CPU has) and resumes after the instruction.
// Loaded with LD_PRELOAD; its constructor runs before the program's own constructors and
// before any library loaded later (Python extension modules), which is when those libraries
// read CPUID.
//
// Limits: the dynamic loader and glibc read CPUID before this library loads (memcpy variants;
// mask those with GLIBC_TUNABLES, which emulate-cpu.sh sets); XGETBV still reports AVX-512
// state enabled (libraries test the CPUID bits first); the microarchitecture stays the host's.
// execve resets CPUID faulting: LD_PRELOAD, inherited by the child, loads this library again.
//
// Environment: Q8_CPUID_MASK_VERBOSE=1 prints the number of CPUID calls answered at exit.
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static struct sigaction previous;      // the SIGSEGV action before ours, for real faults
static atomic_long answered;           // CPUID calls emulated (Q8_CPUID_MASK_VERBOSE)

static long set_cpuid_enabled(int enabled) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled); }

static void real_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

/// Clears what an AVX2-only x86-64 CPU (AMD Zen 3, Intel Haswell..Comet Lake) does not report.
static void mask_to_avx2(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
    if (leaf == 7 && subleaf == 0) {
        // EBX: AVX512F 16, DQ 17, IFMA 21, PF 26, ER 27, CD 28, BW 30, VL 31.
        r[1] &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
        // ECX: VBMI 1, VBMI2 6, VNNI 11, BITALG 12, VPOPCNTDQ 14.
        r[2] &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
        // EDX: 4VNNIW 2, 4FMAPS 3, VP2INTERSECT 8, FP16 23.
        r[3] &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23));
    } else if (leaf == 7 && subleaf == 1) {
        // EAX: AVX-VNNI 4, AVX512_BF16 5.
        r[0] &= ~((1u << 4) | (1u << 5));
    }
}

static void on_sigsegv(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    greg_t *regs = uc->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)regs[REG_RIP];
    // A CPUID fault is a SIGSEGV with si_code SI_KERNEL at a CPUID instruction (0F A2).
    if (info->si_code == SI_KERNEL && ip[0] == 0x0F && ip[1] == 0xA2) {
        uint32_t leaf = (uint32_t)regs[REG_RAX], subleaf = (uint32_t)regs[REG_RCX], r[4];
        set_cpuid_enabled(1);
        real_cpuid(leaf, subleaf, r);
        set_cpuid_enabled(0);
        mask_to_avx2(leaf, subleaf, r);
        regs[REG_RAX] = r[0]; regs[REG_RBX] = r[1]; regs[REG_RCX] = r[2]; regs[REG_RDX] = r[3];
        regs[REG_RIP] += 2;
        atomic_fetch_add_explicit(&answered, 1, memory_order_relaxed);
        return;
    }
    // A real fault: hand it to whoever handled SIGSEGV before us, else die of it.
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction) { previous.sa_sigaction(sig, info, context); return; }
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig); return;
    }
    signal(SIGSEGV, SIG_DFL);  // returning re-runs the faulting instruction, now fatal
}

static void report(void) {
    fprintf(stderr, "cpuid-mask: %ld CPUID calls answered without AVX-512 (pid %d)\n",
            atomic_load(&answered), (int)getpid());
}

__attribute__((constructor)) static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigsegv;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGSEGV, &action, &previous) != 0) { perror("cpuid-mask: sigaction"); _exit(97); }
    if (set_cpuid_enabled(0) != 0) {
        fprintf(stderr, "cpuid-mask: this CPU or kernel has no CPUID faulting (no cpuid_fault in /proc/cpuinfo);"
                        " cannot hide AVX-512 from this process\n");
        _exit(97);
    }
    const char *verbose = getenv("Q8_CPUID_MASK_VERBOSE");
    if (verbose && strcmp(verbose, "1") == 0) atexit(report);
}
