/* tcx-attach NETNS IFNAME INGRESS_PIN EGRESS_PIN [PROGRAM_PIN]: attaches a two-instruction
 * SCHED_CLS program (return TC_ACT_OK) as a tcx link on the ingress and on the egress of IFNAME in
 * the named network namespace (/var/run/netns/NETNS) and pins both links, and the program if asked
 * (for "tc filter ... bpf da pinned"). Raw bpf(2), no libbpf; needs a kernel with tcx (6.6+).
 * Removing a link's pin detaches it. Used by clsact-under-tcx.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TCX_INGRESS 46 /* enum bpf_attach_type BPF_TCX_INGRESS */
#define TCX_EGRESS 47  /* BPF_TCX_EGRESS */

static long sys_bpf(int cmd, union bpf_attr *attr) {
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s NETNS IFNAME INGRESS_PIN EGRESS_PIN [PROGRAM_PIN]\n", argv[0]);
        return 2;
    }
    char path[256];
    snprintf(path, sizeof(path), "/var/run/netns/%s", argv[1]);
    int home = open("/proc/self/ns/net", O_RDONLY);
    int ns = open(path, O_RDONLY);
    if (home < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0) { perror(path); return 1; }
    unsigned ifindex = if_nametoindex(argv[2]);
    if (!ifindex) { fprintf(stderr, "no interface %s in %s\n", argv[2], argv[1]); return 1; }
    struct bpf_insn prog[] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 }, /* r0 = TC_ACT_OK */
        { .code = BPF_JMP | BPF_EXIT },
    };
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
    a.insns = (unsigned long) prog;
    a.insn_cnt = 2;
    a.license = (unsigned long) "GPL";
    int pfd = sys_bpf(BPF_PROG_LOAD, &a);
    if (pfd < 0) { perror("BPF_PROG_LOAD"); return 1; }
    int types[2] = {TCX_INGRESS, TCX_EGRESS};
    int links[2];
    for (int i = 0; i < 2; i++) {
        memset(&a, 0, sizeof(a));
        a.link_create.prog_fd = pfd;
        a.link_create.target_fd = ifindex; /* target_ifindex */
        a.link_create.attach_type = types[i];
        links[i] = sys_bpf(BPF_LINK_CREATE, &a);
        if (links[i] < 0) { perror("BPF_LINK_CREATE (tcx)"); return 1; }
    }
    if (setns(home, CLONE_NEWNET) < 0) { perror("setns back"); return 1; } /* pins live in our bpffs */
    for (int i = 0; i < 2; i++) {
        memset(&a, 0, sizeof(a));
        a.bpf_fd = links[i];
        a.pathname = (unsigned long) argv[3 + i];
        if (sys_bpf(BPF_OBJ_PIN, &a) < 0) { perror(argv[3 + i]); return 1; }
    }
    if (argc == 6) {
        memset(&a, 0, sizeof(a));
        a.bpf_fd = pfd;
        a.pathname = (unsigned long) argv[5];
        if (sys_bpf(BPF_OBJ_PIN, &a) < 0) { perror(argv[5]); return 1; }
    }
    return 0;
}
