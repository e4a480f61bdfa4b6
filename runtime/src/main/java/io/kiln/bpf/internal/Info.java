package io.kiln.bpf.internal;

/** {@code bpf_obj_get_info_by_fd} for programs, maps and links. */
public final class Info {
    private Info() {
    }

    public static Structs.ProgInfo program(int fd, String context) {
        return fill(fd, new Structs.ProgInfo(), context, "read program info");
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
