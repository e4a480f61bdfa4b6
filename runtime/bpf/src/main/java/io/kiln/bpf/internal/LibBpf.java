package io.kiln.bpf.internal;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libbpf 1.1 functions Kiln calls, under their C names, bound by JNA direct mapping
 * (static natives: no proxy or reflection on each call, which matters for map access).
 *
 * <p>Conventions of libbpf 1.x that callers rely on: functions returning {@code int} return a
 * negative errno on failure; functions returning a pointer return NULL and set errno
 * ({@link Native#getLastError()}). {@code size_t} is {@code long} (64-bit Linux only, checked by
 * {@link LibbpfLoader}); C {@code bool} results are {@code byte}, since a C bool fills only the low
 * byte of the return register. Opaque {@code struct bpf_object}, {@code bpf_program},
 * {@code bpf_map} and {@code btf} handles are {@link Pointer}s.
 *
 * <p>Do not touch this class before {@link LibbpfLoader#require()} has succeeded: its static
 * initializer binds the natives and a missing libbpf would surface as a bare
 * {@link NoClassDefFoundError}.
 */
public final class LibBpf {
    static {
        Native.register(LibBpf.class, LibbpfLoader.libraryForBinding());
    }

    private LibBpf() {
    }

    /** {@code libbpf_print_fn_t}; {@code ap} is the {@code va_list}, a pointer on x86_64. */
    public interface PrintFn extends Callback {
        int invoke(int level, Pointer format, Pointer ap);
    }

    /**
     * {@code ring_buffer_sample_fn}: one record, {@code size} bytes at {@code data}, valid only
     * during the call. A negative return stops the consume and is returned by it.
     */
    public interface RingBufferSampleFn extends Callback {
        int invoke(Pointer ctx, Pointer data, long size);
    }

    // ---- library ----
    public static native int libbpf_major_version();

    public static native int libbpf_minor_version();

    public static native String libbpf_version_string();

    public static native int libbpf_strerror(int err, byte[] buf, long size);

    public static native Pointer libbpf_set_print(PrintFn fn);

    public static native String libbpf_bpf_prog_type_str(int type);

    public static native String libbpf_bpf_map_type_str(int type);

    public static native String libbpf_bpf_attach_type_str(int type);

    public static native String libbpf_bpf_link_type_str(int type);

    public static native int libbpf_num_possible_cpus();

    public static native int libbpf_probe_bpf_prog_type(int progType, Pointer opts);

    // ---- bpf_object ----
    public static native Pointer bpf_object__open_mem(Pointer objBuf, long objBufSize, Structs.ObjectOpenOpts opts);

    public static native Pointer bpf_object__open_file(String path, Structs.ObjectOpenOpts opts);

    public static native int bpf_object__load(Pointer obj);

    public static native void bpf_object__close(Pointer obj);

    public static native String bpf_object__name(Pointer obj);

    public static native Pointer bpf_object__btf(Pointer obj);

    public static native Pointer bpf_object__next_program(Pointer obj, Pointer prog);

    public static native Pointer bpf_object__next_map(Pointer obj, Pointer map);

    // ---- bpf_program ----
    public static native String bpf_program__name(Pointer prog);

    public static native String bpf_program__section_name(Pointer prog);

    public static native int bpf_program__type(Pointer prog);

    public static native int bpf_program__expected_attach_type(Pointer prog);

    public static native int bpf_program__fd(Pointer prog);

    public static native int bpf_program__set_log_level(Pointer prog, int level);

    public static native int bpf_program__set_log_buf(Pointer prog, Pointer buf, long size);

    // ---- bpf_map ----
    public static native String bpf_map__name(Pointer map);

    public static native int bpf_map__type(Pointer map);

    public static native int bpf_map__key_size(Pointer map);

    public static native int bpf_map__value_size(Pointer map);

    public static native int bpf_map__max_entries(Pointer map);

    public static native int bpf_map__map_flags(Pointer map);

    public static native long bpf_map__map_extra(Pointer map);

    /** The inner map libbpf made from a map of maps' BTF definition ({@code __array(values, ...)}); NULL if none (or after the load created the map). */
    public static native Pointer bpf_map__inner_map(Pointer map);

    public static native int bpf_map__fd(Pointer map);

    public static native byte bpf_map__is_internal(Pointer map);

    public static native int bpf_map__reuse_fd(Pointer map, int fd);

    public static native int bpf_map__set_pin_path(Pointer map, String path);

    public static native String bpf_map__pin_path(Pointer map);

    public static native byte bpf_map__is_pinned(Pointer map);

    public static native int bpf_map__pin(Pointer map, String path);

    public static native int bpf_map__unpin(Pointer map, String path);

    public static native int bpf_map__set_initial_value(Pointer map, byte[] data, long size);

    public static native Pointer bpf_map__initial_value(Pointer map, long[] size);

    // ---- btf ----
    public static native int btf__find_by_name_kind(Pointer btf, String name, int kind);

    public static native Pointer btf__type_by_id(Pointer btf, int id);

    public static native String btf__name_by_offset(Pointer btf, int offset);

    public static native long btf__resolve_size(Pointer btf, int typeId);

    public static native int bpf_map__btf_key_type_id(Pointer map);

    public static native int bpf_map__btf_value_type_id(Pointer map);

    // ---- bpf(2) wrappers (bpf.h) ----
    public static native int bpf_map_create(int mapType, String name, int keySize, int valueSize, int maxEntries,
                                            Structs.MapCreateOpts opts);

    public static native int bpf_map_lookup_elem(int fd, byte[] key, byte[] value);

    public static native int bpf_map_update_elem(int fd, byte[] key, byte[] value, long flags);

    public static native int bpf_map_delete_elem(int fd, byte[] key);

    public static native int bpf_map_get_next_key(int fd, byte[] key, byte[] nextKey);

    public static native int bpf_map_lookup_batch(int fd, Pointer inBatch, Pointer outBatch, Pointer keys,
                                                  Pointer values, int[] count, Pointer opts);

    public static native int bpf_map_update_batch(int fd, Pointer keys, Pointer values, int[] count, Pointer opts);

    public static native int bpf_obj_pin(int fd, String path);

    public static native int bpf_obj_get(String path);

    public static native int bpf_obj_get_info_by_fd(int fd, Pointer info, int[] infoLen);

    public static native int bpf_prog_get_fd_by_id(int id);

    public static native int bpf_map_get_fd_by_id(int id);

    public static native int bpf_link_get_fd_by_id(int id);

    public static native int bpf_prog_load(int progType, String name, String license, Pointer insns,
                                           long insnCount, Structs.ProgLoadOpts opts);

    public static native int bpf_link_create(int progFd, int targetFd, int attachType, Structs.LinkCreateOpts opts);

    public static native int bpf_link_update(int linkFd, int newProgFd, Structs.LinkUpdateOpts opts);

    public static native int bpf_link_detach(int linkFd);

    public static native int bpf_prog_test_run_opts(int progFd, Structs.TestRunOpts opts);

    // ---- ring buffer (libbpf.h) ----
    public static native Pointer ring_buffer__new(int mapFd, RingBufferSampleFn sampleCb, Pointer ctx, Pointer opts);

    public static native void ring_buffer__free(Pointer rb);

    public static native int ring_buffer__poll(Pointer rb, int timeoutMs);

    public static native int ring_buffer__consume(Pointer rb);

    public static native int ring_buffer__epoll_fd(Pointer rb);

    // ---- tc (netlink, in the calling thread's network namespace) ----
    public static native int bpf_tc_hook_create(Structs.TcHook hook);

    public static native int bpf_tc_hook_destroy(Structs.TcHook hook);

    public static native int bpf_tc_attach(Structs.TcHook hook, Structs.TcOpts opts);

    public static native int bpf_tc_detach(Structs.TcHook hook, Structs.TcOpts opts);

    public static native int bpf_tc_query(Structs.TcHook hook, Structs.TcOpts opts);
}
