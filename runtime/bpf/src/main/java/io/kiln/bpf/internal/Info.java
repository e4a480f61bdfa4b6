package io.kiln.bpf.internal;

/** {@code bpf_obj_get_info_by_fd} for programs, maps and links. */
public final class Info {
    private Info() {
    }

    public static Structs.ProgInfo program(int fd, String context) {
        return fill(fd, new Structs.ProgInfo(), context, "read program info");
    }

    /** Offset of {@code verified_insns} in {@code struct bpf_prog_info} (kernel 5.16+), which is 232 bytes there. */
    private static final int VERIFIED_INSNS_OFFSET = 216;
    private static final int PROG_INFO_5_16_SIZE = 232;

    /** {@code bpf_prog_info.verified_insns}, or -1 when the kernel's info ends before it. */
    public static int programVerifiedInsns(int fd, String context) {
        try (com.sun.jna.Memory info = new com.sun.jna.Memory(PROG_INFO_5_16_SIZE)) {
            info.clear();
            int[] len = {PROG_INFO_5_16_SIZE};
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_obj_get_info_by_fd(fd, info, len), context, "read program info");
            return len[0] >= VERIFIED_INSNS_OFFSET + 4 ? info.getInt(VERIFIED_INSNS_OFFSET) : -1;
        }
    }

    /** Offsets in {@code struct bpf_prog_info} of {@code nr_map_ids} (u32) and {@code map_ids} (u64 pointer). */
    private static final int NR_MAP_IDS_OFFSET = 52;
    private static final int MAP_IDS_OFFSET = 56;
    private static final int PROG_INFO_MAP_IDS_SIZE = 64;

    /** The ids of the maps a loaded program uses ({@code bpf_prog_info.map_ids}). */
    public static int[] programMapIds(int fd, String context) {
        try (com.sun.jna.Memory info = new com.sun.jna.Memory(PROG_INFO_MAP_IDS_SIZE)) {
            info.clear();
            int[] len = {PROG_INFO_MAP_IDS_SIZE};
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_obj_get_info_by_fd(fd, info, len), context, "read program info");
            int n = info.getInt(NR_MAP_IDS_OFFSET);
            if (n <= 0) {
                return new int[0];
            }
            try (com.sun.jna.Memory ids = new com.sun.jna.Memory(4L * n)) {
                info.clear();
                info.setInt(NR_MAP_IDS_OFFSET, n);
                info.setLong(MAP_IDS_OFFSET, com.sun.jna.Pointer.nativeValue(ids));
                len[0] = PROG_INFO_MAP_IDS_SIZE;
                LibbpfLog.begin();
                Failures.check(LibBpf.bpf_obj_get_info_by_fd(fd, info, len), context, "read program map ids");
                int got = Math.min(n, info.getInt(NR_MAP_IDS_OFFSET));
                return ids.getIntArray(0, got);
            }
        }
    }

    public static Structs.MapInfo map(int fd, String context) {
        return fill(fd, new Structs.MapInfo(), context, "read map info");
    }

    public static Structs.LinkInfo link(int fd, String context) {
        return fill(fd, new Structs.LinkInfo(), context, "read link info");
    }

    private static <T extends Structs.CStruct> T fill(int fd, T info, String context, String operation) {
        info.write(); // zeroed: the kernel rejects non-zero input it does not understand
        int[] len = {info.size()};
        LibbpfLog.begin();
        Failures.check(LibBpf.bpf_obj_get_info_by_fd(fd, info.getPointer(), len), context, operation);
        info.read();
        return info;
    }
}
