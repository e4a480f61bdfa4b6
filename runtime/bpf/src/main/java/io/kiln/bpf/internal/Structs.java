package io.kiln.bpf.internal;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * The C structs Kiln passes to libbpf 1.1.2 and the kernel, laid out as in
 * {@code /usr/include/bpf/{bpf,libbpf}.h} and {@code linux/bpf.h} for x86_64. Field names are the C
 * names. Anonymous padding ({@code __u32 :32}, {@code size_t :0}, unions Kiln does not use) is an
 * explicit field so the Java size equals {@code sizeof}; {@code StructLayoutTest} compiles a C
 * program against the system headers and compares every size and offset.
 *
 * <p>libbpf's options structs start with {@code sz}: libbpf rejects non-zero bytes beyond the size
 * it knows, and reads only up to {@code sz}, so {@code sz} must be exactly our {@code sizeof}.
 */
public final class Structs {
    private Structs() {
    }

    /** Base: zero-filled memory, and offsets visible to the layout test. */
    public abstract static class CStruct extends Structure {
        protected CStruct() {
            super(ALIGN_GNUC);
        }

        public int offsetOf(String field) {
            return fieldOffset(field);
        }
    }

    /** {@code struct bpf_object_open_opts} (80 bytes). */
    @FieldOrder({"sz", "object_name", "relaxed_maps", "pin_root_path", "removed_attach_prog_fd", "kconfig",
            "btf_custom_path", "kernel_log_buf", "kernel_log_size", "kernel_log_level"})
    public static final class ObjectOpenOpts extends CStruct {
        public long sz;
        public String object_name;
        public byte relaxed_maps;
        public String pin_root_path;
        public int removed_attach_prog_fd;
        public String kconfig;
        public String btf_custom_path;
        public Pointer kernel_log_buf;
        public long kernel_log_size;
        public int kernel_log_level;

        public ObjectOpenOpts() {
            sz = size();
        }
    }

    /** {@code struct bpf_link_create_opts} (64 bytes); the union at 32 is for tracing links. */
    @FieldOrder({"sz", "flags", "iter_info", "iter_info_len", "target_btf_id", "union_"})
    public static final class LinkCreateOpts extends CStruct {
        public long sz;
        public int flags;
        public Pointer iter_info;
        public int iter_info_len;
        public int target_btf_id;
        public long[] union_ = new long[4];

        public LinkCreateOpts() {
            sz = size();
        }
    }

    /** {@code struct bpf_map_create_opts} (48 bytes). */
    @FieldOrder({"sz", "btf_fd", "btf_key_type_id", "btf_value_type_id", "btf_vmlinux_value_type_id",
            "inner_map_fd", "map_flags", "map_extra", "numa_node", "map_ifindex"})
    public static final class MapCreateOpts extends CStruct {
        public long sz;
        public int btf_fd;
        public int btf_key_type_id;
        public int btf_value_type_id;
        public int btf_vmlinux_value_type_id;
        public int inner_map_fd;
        public int map_flags;
        public long map_extra;
        public int numa_node;
        public int map_ifindex;

        public MapCreateOpts() {
            sz = size();
        }
    }

    /** {@code struct bpf_link_update_opts} (16 bytes). */
    @FieldOrder({"sz", "flags", "old_prog_fd"})
    public static final class LinkUpdateOpts extends CStruct {
        public long sz;
        public int flags;
        public int old_prog_fd;

        public LinkUpdateOpts() {
            sz = size();
        }
    }

    /** {@code struct bpf_test_run_opts} (80 bytes). */
    @FieldOrder({"sz", "data_in", "data_out", "data_size_in", "data_size_out", "ctx_in", "ctx_out",
            "ctx_size_in", "ctx_size_out", "retval", "repeat", "duration", "flags", "cpu", "batch_size"})
    public static final class TestRunOpts extends CStruct {
        public long sz;
        public Pointer data_in;
        public Pointer data_out;
        public int data_size_in;
        public int data_size_out;
        public Pointer ctx_in;
        public Pointer ctx_out;
        public int ctx_size_in;
        public int ctx_size_out;
        public int retval;
        public int repeat;
        public int duration;
        public int flags;
        public int cpu;
        public int batch_size;

        public TestRunOpts() {
            sz = size();
        }
    }

    /** {@code struct bpf_tc_hook} (24 bytes). */
    @FieldOrder({"sz", "ifindex", "attach_point", "parent"})
    public static final class TcHook extends CStruct {
        public long sz;
        public int ifindex;
        public int attach_point;
        public int parent;

        public TcHook() {
            sz = size();
        }
    }

    /** {@code struct bpf_tc_opts} (32 bytes). */
    @FieldOrder({"sz", "prog_fd", "flags", "prog_id", "handle", "priority"})
    public static final class TcOpts extends CStruct {
        public long sz;
        public int prog_fd;
        public int flags;
        public int prog_id;
        public int handle;
        public int priority;

        public TcOpts() {
            sz = size();
        }
    }

    /** {@code struct bpf_prog_load_opts} (104 bytes); used by feature probes only. */
    @FieldOrder({"sz", "attempts", "expected_attach_type", "prog_btf_fd", "prog_flags", "prog_ifindex",
            "kern_version", "attach_btf_id", "attach_prog_fd", "attach_btf_obj_fd", "fd_array", "func_info",
            "func_info_cnt", "func_info_rec_size", "line_info", "line_info_cnt", "line_info_rec_size",
            "log_level", "log_size", "log_buf"})
    public static final class ProgLoadOpts extends CStruct {
        public long sz;
        public int attempts;
        public int expected_attach_type;
        public int prog_btf_fd;
        public int prog_flags;
        public int prog_ifindex;
        public int kern_version;
        public int attach_btf_id;
        public int attach_prog_fd;
        public int attach_btf_obj_fd;
        public Pointer fd_array;
        public Pointer func_info;
        public int func_info_cnt;
        public int func_info_rec_size;
        public Pointer line_info;
        public int line_info_cnt;
        public int line_info_rec_size;
        public int log_level;
        public int log_size;
        public Pointer log_buf;

        public ProgLoadOpts() {
            sz = size();
        }
    }

    /** {@code struct bpf_map_info} of linux/bpf.h 6.1 (88 bytes); newer kernels accept the shorter struct. */
    @FieldOrder({"type", "id", "key_size", "value_size", "max_entries", "map_flags", "name", "ifindex",
            "btf_vmlinux_value_type_id", "netns_dev", "netns_ino", "btf_id", "btf_key_type_id",
            "btf_value_type_id", "pad", "map_extra"})
    public static final class MapInfo extends CStruct {
        public int type;
        public int id;
        public int key_size;
        public int value_size;
        public int max_entries;
        public int map_flags;
        public byte[] name = new byte[16];
        public int ifindex;
        public int btf_vmlinux_value_type_id;
        public long netns_dev;
        public long netns_ino;
        public int btf_id;
        public int btf_key_type_id;
        public int btf_value_type_id;
        public int pad;
        public long map_extra;
    }

    /** The first 88 bytes of {@code struct bpf_prog_info}, up to {@code ifindex} and the gpl bit. */
    @FieldOrder({"type", "id", "tag", "jited_prog_len", "xlated_prog_len", "jited_prog_insns",
            "xlated_prog_insns", "load_time", "created_by_uid", "nr_map_ids", "map_ids", "name", "ifindex",
            "gpl_compatible"})
    public static final class ProgInfo extends CStruct {
        public int type;
        public int id;
        public byte[] tag = new byte[8];
        public int jited_prog_len;
        public int xlated_prog_len;
        public long jited_prog_insns;
        public long xlated_prog_insns;
        public long load_time;
        public int created_by_uid;
        public int nr_map_ids;
        public long map_ids;
        public byte[] name = new byte[16];
        public int ifindex;
        public int gpl_compatible;
    }

    /**
     * {@code struct bpf_link_info} (48 bytes). The union at 16 is read as words: for XDP links word 0
     * is the ifindex; for tcx and netkit links (kernel 6.6+, absent from the 6.1 header) word 0 is
     * the ifindex and word 1 the attach type.
     */
    @FieldOrder({"type", "id", "prog_id", "pad", "union_"})
    public static final class LinkInfo extends CStruct {
        public int type;
        public int id;
        public int prog_id;
        public int pad;
        public int[] union_ = new int[8];
    }

    /** Reads a NUL-terminated name from a fixed {@code char[]} field. */
    public static String cString(byte[] chars) {
        int n = 0;
        while (n < chars.length && chars[n] != 0) {
            n++;
        }
        return new String(chars, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
}
