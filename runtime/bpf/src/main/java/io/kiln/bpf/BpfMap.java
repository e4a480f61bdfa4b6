package io.kiln.bpf;

import com.sun.jna.Pointer;
import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.FdKind;
import io.kiln.bpf.internal.Info;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibC;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.LibbpfLog;
import io.kiln.bpf.internal.OwnedFd;
import io.kiln.bpf.internal.Structs;

import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A BPF map: either one of a {@link BpfObject}'s ({@code struct bpf_map}: pin path and reuse are
 * set before load, data access after) or a standalone handle to a map already in the kernel
 * ({@link #openPinned}) that owns its fd. Keys and values are raw bytes in the program's layout.
 *
 * <p>Per-CPU maps hold one value per possible CPU: {@link #lookup} returns, and {@link #update}
 * takes, {@link #valueBufferSize()} bytes (each CPU's value padded to 8 bytes);
 * {@link #lookupPerCpu} splits them.
 */
public final class BpfMap implements AutoCloseable {
    /** Update flag: create or replace ({@code BPF_ANY}). */
    public static final long ANY = 0;
    /** Update flag: only create ({@code BPF_NOEXIST}). */
    public static final long NOEXIST = 1;
    /** Update flag: only replace ({@code BPF_EXIST}). */
    public static final long EXIST = 2;

    private final BpfObject object;  // null for a standalone map
    private static final java.util.regex.Pattern KERNEL_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.]{1,15}");
    private static final int TYPE_ARRAY_OF_MAPS = 12;
    private static final int TYPE_HASH_OF_MAPS = 13;
    private final Pointer map;       // null for a standalone map
    private final OwnedFd ownFd;     // null for an object's map
    private final String name;
    private final MapDefinition standaloneDefinition;
    private MapDefinition loadedDefinition; // fixed once the map exists; cached for the data path

    BpfMap(BpfObject object, Pointer map) {
        this.object = object;
        this.map = map;
        this.ownFd = null;
        this.name = LibBpf.bpf_map__name(map);
        this.standaloneDefinition = null;
    }

    private BpfMap(int fd, String what) {
        this.object = null;
        this.map = null;
        Structs.MapInfo info = Info.map(fd, what); // before OwnedFd: a failure leaves the fd to the caller alone
        this.ownFd = new OwnedFd(this, fd);
        this.name = Structs.cString(info.name);
        this.standaloneDefinition = definitionOf(info);
    }

    /** Opens a map pinned in bpffs, e.g. one of a running endpoint's; the handle owns a new fd. */
    public static BpfMap openPinned(Path pin) {
        LibbpfLoader.require();
        LibbpfLog.begin();
        int fd = Failures.check(LibBpf.bpf_obj_get(pin.toString()), "map", "open pinned " + pin);
        FdKind.MAP.require(fd, "map", "open pinned " + pin);
        try {
            return new BpfMap(fd, "map pinned at " + pin);
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /**
     * Creates a standalone map ({@code bpf_map_create}) defined as {@code definition}: e.g. an
     * endpoint's own map made before any program of the endpoint is loaded, to be pinned where
     * the endpoint's programs will reuse it, or put in a map of maps. No BTF: the kernel knows only
     * the sizes.
     *
     * @param name the kernel's name of the map: at most 15 letters, digits, {@code _} or {@code .}
     */
    public static BpfMap create(String name, MapDefinition definition) {
        return create(name, definition, null);
    }

    /**
     * {@link #create(String, MapDefinition)} for a map of maps ({@code array_of_maps},
     * {@code hash_of_maps}): {@code innerTemplate} is a map defined as the inner maps will be (the
     * kernel copies its definition; the template itself is not put in).
     */
    public static BpfMap create(String name, MapDefinition definition, BpfMap innerTemplate) {
        LibbpfLoader.require();
        if (name == null || !KERNEL_NAME.matcher(name).matches()) {
            throw new BpfException("map name '" + name + "': use 1 to 15 letters, digits, '_' or '.'", 0, true, null);
        }
        boolean ofMaps = definition.type() == TYPE_ARRAY_OF_MAPS || definition.type() == TYPE_HASH_OF_MAPS;
        if (ofMaps != (innerTemplate != null)) {
            throw new BpfException("map " + name + ": create " + definition + ": " + (ofMaps
                    ? "a map of maps needs an inner map template" : "only a map of maps takes an inner map template"),
                    0, true, null);
        }
        try {
            var opts = new Structs.MapCreateOpts();
            opts.map_flags = definition.flags();
            opts.inner_map_fd = ofMaps ? innerTemplate.fd() : 0;
            LibbpfLog.begin();
            int fd = Failures.check(LibBpf.bpf_map_create(definition.type(), name, definition.keySize(),
                    definition.valueSize(), definition.maxEntries(), opts), "map " + name, "create " + definition);
            try {
                return new BpfMap(fd, "map " + name);
            } catch (RuntimeException e) {
                LibC.close(fd);
                throw e;
            }
        } finally {
            Reference.reachabilityFence(innerTemplate);
        }
    }

    /** Opens the map with this kernel id ({@code bpf_map_get_fd_by_id}), e.g. one a map of maps holds. */
    public static BpfMap fromId(int id) {
        LibbpfLoader.require();
        LibbpfLog.begin();
        int fd = Failures.check(LibBpf.bpf_map_get_fd_by_id(id), "map", "open map id " + id);
        try {
            return new BpfMap(fd, "map id " + id);
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** The map's name (for a standalone map the kernel's, at most 15 characters). */
    public String name() {
        return name;
    }

    /** Type, key and value size, capacity and flags: for an object's map as the object defines it. */
    public MapDefinition definition() {
        if (standaloneDefinition != null) {
            return standaloneDefinition;
        }
        if (loadedDefinition != null) {
            return loadedDefinition;
        }
        Pointer m = pointer();
        MapDefinition d = new MapDefinition(LibBpf.bpf_map__type(m), LibBpf.bpf_map__key_size(m),
                LibBpf.bpf_map__value_size(m), LibBpf.bpf_map__max_entries(m), LibBpf.bpf_map__map_flags(m));
        if (object.isLoaded()) {
            loadedDefinition = d;
        }
        return d;
    }

    /**
     * An object's map: its definition and the fields of its key and value from the object's BTF
     * ({@code bpf_map__btf_key_type_id}, {@code bpf_map__btf_value_type_id}). Fields are empty where
     * the object has no BTF for them.
     */
    public MapLayout layout() {
        if (map == null) {
            throw new BpfException(context() + ": layout: only an object's map has BTF; a pinned map's layout is what was recorded when it was made");
        }
        Pointer m = pointer();
        Pointer btf = LibBpf.bpf_object__btf(object.pointer());
        return new MapLayout(definition(), io.kiln.bpf.internal.BtfFields.of(btf, LibBpf.bpf_map__btf_key_type_id(m)),
                io.kiln.bpf.internal.BtfFields.of(btf, LibBpf.bpf_map__btf_value_type_id(m)));
    }

    /**
     * An object's map of maps, before load: the definition of its inner maps as the object declares
     * them ({@code __array(values, struct ...)}, libbpf's {@code bpf_map__inner_map}). Empty for any
     * other map, for a map of maps declared without an inner map, and once the load created the map
     * (libbpf frees the inner map then).
     */
    public Optional<MapDefinition> innerDefinition() {
        requireObjectMap("inner map definition");
        if (!isMapOfMaps()) {
            return Optional.empty();
        }
        Pointer inner = LibBpf.bpf_map__inner_map(pointer());
        if (inner == null) {
            return Optional.empty();
        }
        return Optional.of(new MapDefinition(LibBpf.bpf_map__type(inner), LibBpf.bpf_map__key_size(inner),
                LibBpf.bpf_map__value_size(inner), LibBpf.bpf_map__max_entries(inner), LibBpf.bpf_map__map_flags(inner)));
    }

    /**
     * True when the kernel takes a map defined as {@code map} into a map of maps made with an inner
     * map defined as {@code template}: same type, key and value size and flags, and for arrays
     * without {@code BPF_F_INNER_MAP} the same {@code max_entries} (the kernel's
     * {@code bpf_map_meta_equal}, {@code array_map_meta_equal}).
     */
    public static boolean innerFits(MapDefinition map, MapDefinition template) {
        if (map.type() != template.type() || map.keySize() != template.keySize() || map.valueSize() != template.valueSize()
                || map.flags() != template.flags()) {
            return false;
        }
        boolean array = map.type() == 2 || map.type() == 6; // array, percpu array
        return !array || (template.flags() & F_INNER_MAP) != 0 || map.maxEntries() == template.maxEntries();
    }

    private static final int F_INNER_MAP = 1 << 12;

    /** True for libbpf's maps of global data ({@code .rodata}, {@code .data}, {@code .bss}, {@code .kconfig}). */
    public boolean isInternal() {
        return map != null && LibBpf.bpf_map__is_internal(pointer()) != 0;
    }

    // ---- before load (an object's map) ----

    /**
     * Pins the map here at load: libbpf reuses a map already pinned at the path, or creates the map
     * and pins it. A pinned map whose definition differs is refused at load with both definitions.
     */
    public void setPinPath(Path path) {
        requireObjectMap("set pin path");
        LibbpfLog.begin();
        Failures.check(LibBpf.bpf_map__set_pin_path(pointer(), path.toString()), context(), "set pin path " + path);
    }

    /** The pin path set on an object's map, or where it was pinned. */
    public Optional<Path> pinPath() {
        if (map == null) {
            return Optional.empty();
        }
        String p = LibBpf.bpf_map__pin_path(pointer());
        return p == null ? Optional.empty() : Optional.of(Path.of(p));
    }

    /**
     * Makes the object use the map pinned at {@code pin} instead of creating one
     * ({@code bpf_map__reuse_fd}), so its entries survive a reload. Refuses a pinned map whose
     * definition differs from the object's, naming both.
     */
    public void reusePinned(Path pin) {
        requireObjectMap("reuse pinned map");
        LibbpfLog.begin();
        int fd = Failures.check(LibBpf.bpf_obj_get(pin.toString()), context(), "open pinned map " + pin);
        FdKind.MAP.require(fd, context(), "open pinned map " + pin);
        try {
            checkCompatible(fd, "pinned map " + pin, "pinned");
            LibbpfLog.begin();
            // libbpf dups the fd, so ours is closed below either way
            Failures.check(LibBpf.bpf_map__reuse_fd(pointer(), fd), context(), "reuse pinned map " + pin);
        } finally {
            LibC.close(fd);
        }
    }

    /**
     * Makes the object use an open map (a node map the caller opened once for many endpoints)
     * instead of creating one, after the same compatibility check as {@link #reusePinned}.
     */
    public void reuse(BpfMap existing) {
        requireObjectMap("reuse map");
        try {
            int fd = existing.fd();
            checkCompatible(fd, existing.context(), "existing");
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_map__reuse_fd(pointer(), fd), context(), "reuse " + existing.context());
        } finally {
            Reference.reachabilityFence(existing);
        }
    }

    /** Before load: a pin path whose pinned map does not match is refused with both definitions (not libbpf's bare EINVAL). */
    void checkPinnedCompatible() {
        Optional<Path> pin = pinPath();
        if (pin.isEmpty() || !Files.exists(pin.get()) || LibBpf.bpf_map__fd(pointer()) >= 0) {
            return;
        }
        LibbpfLog.begin();
        int fd = LibBpf.bpf_obj_get(pin.get().toString());
        if (fd < 0) {
            return; // libbpf reports it at load with its own words
        }
        try {
            checkCompatible(fd, "pinned map " + pin.get(), "pinned");
        } finally {
            LibC.close(fd);
        }
    }

    /** Refuses to let the object use {@code what} (a pinned or open map) unless it is defined exactly as the object's. */
    private void checkCompatible(int existingFd, String what, String label) {
        Structs.MapInfo info = Info.map(existingFd, context());
        MapDefinition existing = definitionOf(info);
        MapDefinition ours = definition();
        if (!existing.equals(ours)) {
            String hint = label.equals("pinned") ? " (remove the pin to recreate the map, losing its entries)" : "";
            throw new BpfException(context() + ": reuse " + what + ": incompatible definition: " + label
                    + " map is " + existing + ", object defines " + ours + hint, 0, true, null);
        }
    }

    private static MapDefinition definitionOf(Structs.MapInfo info) {
        return new MapDefinition(info.type, info.key_size, info.value_size, info.max_entries, info.map_flags);
    }

    // ---- after load ----

    /** Pins the loaded map at {@code path} (bpffs). */
    public void pin(Path path) {
        LibbpfLog.begin();
        if (map != null) {
            Failures.check(LibBpf.bpf_map__pin(pointer(), path.toString()), context(), "pin " + path);
        } else {
            try {
                Failures.check(LibBpf.bpf_obj_pin(fd(), path.toString()), context(), "pin " + path);
            } finally {
                Reference.reachabilityFence(this);
            }
        }
    }

    /** Removes the pin at {@code path}; the map lives on while fds or programs use it. */
    public void unpin(Path path) {
        LibbpfLog.begin();
        if (map != null) {
            Failures.check(LibBpf.bpf_map__unpin(pointer(), path.toString()), context(), "unpin " + path);
        } else {
            try {
                Files.delete(path);
            } catch (java.io.IOException e) {
                throw new BpfException(context() + ": unpin " + path + ": " + e, e);
            }
        }
    }

    /** The map's fd; for an object's map, only after load. */
    public int fd() {
        if (ownFd != null) {
            return ownFd.get();
        }
        int fd = LibBpf.bpf_map__fd(pointer());
        if (fd < 0) {
            throw new BpfException(context() + ": not created yet (load the object first)");
        }
        return fd;
    }

    /** The kernel's id of the map, as bpftool shows it. */
    public int id() {
        try {
            return Info.map(fd(), context()).id;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    public boolean isPerCpu() {
        int t = definition().type();
        return t == 5 || t == 6 || t == 10 || t == 21; // PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH, PERCPU_CGROUP_STORAGE
    }

    /** Bytes a lookup returns and an update takes: the value size, or for per-CPU maps one 8-byte-aligned value per possible CPU. */
    public int valueBufferSize() {
        int size = definition().valueSize();
        return isPerCpu() ? ((size + 7) & ~7) * possibleCpus() : size;
    }

    /** The value under {@code key}, or empty if there is none. */
    public Optional<byte[]> lookup(byte[] key) {
        checkKey(key, "lookup");
        byte[] value = new byte[valueBufferSize()];
        try {
            int ret = LibBpf.bpf_map_lookup_elem(fd(), key, value);
            if (ret == -Errno.ENOENT) {
                return Optional.empty();
            }
            LibbpfLog.begin();
            Failures.check(ret, context(), "lookup");
            return Optional.of(value);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A per-CPU map's values under {@code key}, one per possible CPU, each {@code valueSize} bytes. */
    public Optional<List<byte[]>> lookupPerCpu(byte[] key) {
        if (!isPerCpu()) {
            throw new BpfException(context() + ": lookupPerCpu: a " + definition().typeName() + " map is not per-CPU");
        }
        return lookup(key).map(all -> {
            int size = definition().valueSize();
            int stride = (size + 7) & ~7;
            List<byte[]> out = new ArrayList<>();
            for (int at = 0; at + stride <= all.length; at += stride) {
                out.add(Arrays.copyOfRange(all, at, at + size));
            }
            return out;
        });
    }

    /** Creates or replaces the value under {@code key}. */
    public void update(byte[] key, byte[] value) {
        update(key, value, ANY);
    }

    /** Updates with {@link #ANY}, {@link #NOEXIST} or {@link #EXIST} ({@code BPF_F_LOCK} may be or-ed in). */
    public void update(byte[] key, byte[] value, long flags) {
        checkKey(key, "update");
        int expected = valueBufferSize();
        if (value == null || value.length != expected) {
            throw new BpfException(context() + ": update: value is " + (value == null ? "null" : value.length + " bytes")
                    + ", the map takes " + expected + (isPerCpu() ? " (per-CPU: one padded value per possible CPU)" : ""),
                    0, true, null);
        }
        try {
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_map_update_elem(fd(), key, value, flags), context(), "update");
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** True for a map whose values are maps ({@code array_of_maps}, {@code hash_of_maps}). */
    public boolean isMapOfMaps() {
        int t = definition().type();
        return t == TYPE_ARRAY_OF_MAPS || t == TYPE_HASH_OF_MAPS;
    }

    /**
     * Puts {@code inner} under {@code key} of this map of maps (the kernel takes the inner map's fd
     * and keeps a reference to the map itself). The kernel refuses an inner map whose type, key or
     * value size or flags differ from the inner map this map was created with; the message names both.
     */
    public void updateInnerMap(byte[] key, BpfMap inner) {
        requireMapOfMaps("put inner map");
        checkKey(key, "put inner map");
        try {
            byte[] fd = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(inner.fd()).array();
            LibbpfLog.begin();
            int ret = LibBpf.bpf_map_update_elem(fd(), key, fd, ANY);
            if (ret == -Errno.EINVAL) {
                throw new BpfException(context() + ": put inner " + inner.context() + " (" + inner.definition()
                        + "): the kernel refused it (EINVAL): an inner map must have the type, key size, value size"
                        + " and flags of the inner map this map of maps was made with", Errno.EINVAL, true, null);
            }
            Failures.check(ret, context(), "put inner " + inner.context());
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(inner);
        }
    }

    /** The kernel id of the inner map under {@code key} of this map of maps, or empty if there is none. */
    public Optional<Integer> innerMapId(byte[] key) {
        requireMapOfMaps("look up inner map");
        return lookup(key).map(v -> java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.nativeOrder()).getInt());
    }

    private void requireMapOfMaps(String operation) {
        if (!isMapOfMaps()) {
            throw new BpfException(context() + ": " + operation + ": a " + definition().typeName()
                    + " map does not hold maps", 0, true, null);
        }
    }

    /** Deletes the value under {@code key}; false if there was none. */
    public boolean delete(byte[] key) {
        checkKey(key, "delete");
        try {
            int ret = LibBpf.bpf_map_delete_elem(fd(), key);
            if (ret == -Errno.ENOENT) {
                return false;
            }
            LibbpfLog.begin();
            Failures.check(ret, context(), "delete");
            return true;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The keys present now ({@code bpf_map_get_next_key}). A hash map changed during the walk may
     * restart it; the walk stops after twice the map's capacity so it always ends.
     */
    public List<byte[]> keys() {
        int keySize = definition().keySize();
        long limit = 2L * Integer.toUnsignedLong(definition().maxEntries()) + 1;
        List<byte[]> keys = new ArrayList<>();
        try {
            int fd = fd();
            byte[] current = null;
            for (long i = 0; i < limit; i++) {
                byte[] next = new byte[keySize];
                int ret = LibBpf.bpf_map_get_next_key(fd, current, next);
                if (ret == -Errno.ENOENT) {
                    break;
                }
                LibbpfLog.begin();
                Failures.check(ret, context(), "iterate keys");
                keys.add(next);
                current = next;
            }
            return keys;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** One key and its value ({@link #valueBufferSize()} bytes). */
    public record Entry(byte[] key, byte[] value) {
    }

    private static final int BATCH = 1024;

    /**
     * Every entry present now, read {@value #BATCH} at a time with {@code BPF_MAP_LOOKUP_BATCH}
     * where the map type has it (hash, LRU, array and their per-CPU kinds), else key by key
     * ({@link #keys()}, then a lookup each; a key deleted in between is left out).
     */
    public List<Entry> entries() {
        int keySize = definition().keySize();
        int valueSize = valueBufferSize();
        List<Entry> out = new ArrayList<>();
        try {
            int fd = fd();
            com.sun.jna.Memory keys = new com.sun.jna.Memory((long) BATCH * Math.max(1, keySize));
            com.sun.jna.Memory values = new com.sun.jna.Memory((long) BATCH * Math.max(1, valueSize));
            int tokenSize = Math.max(8, keySize);
            com.sun.jna.Memory in = new com.sun.jna.Memory(tokenSize);
            com.sun.jna.Memory next = new com.sun.jna.Memory(tokenSize);
            long limit = Integer.toUnsignedLong(definition().maxEntries()) / BATCH + 2;
            boolean first = true;
            for (long round = 0; round <= limit; round++) {
                int[] count = {BATCH};
                int ret = LibBpf.bpf_map_lookup_batch(fd, first ? null : in, next, keys, values, count, null);
                if (ret < 0 && ret != -Errno.ENOENT) {
                    if (first && (ret == -Errno.EINVAL || ret == -Errno.ENOTSUPP || ret == -Errno.EOPNOTSUPP
                            || ret == -Errno.ENOSPC)) {
                        return entriesKeyByKey(); // no batch operations for this map type (an LPM trie, ...)
                    }
                    LibbpfLog.begin();
                    Failures.check(ret, context(), "look up a batch of entries");
                }
                for (int i = 0; i < count[0]; i++) {
                    out.add(new Entry(keys.getByteArray((long) i * keySize, keySize),
                            values.getByteArray((long) i * valueSize, valueSize)));
                }
                if (ret == -Errno.ENOENT) {
                    return out;
                }
                in.write(0, next.getByteArray(0, tokenSize), 0, tokenSize);
                first = false;
            }
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private List<Entry> entriesKeyByKey() {
        List<Entry> out = new ArrayList<>();
        for (byte[] k : keys()) {
            lookup(k).ifPresent(v -> out.add(new Entry(k, v)));
        }
        return out;
    }

    /**
     * Creates or replaces every entry ({@link #ANY}), {@value #BATCH} at a time with
     * {@code BPF_MAP_UPDATE_BATCH} where the map type has it, else one by one.
     */
    public void updateAll(List<Entry> entries) {
        int keySize = definition().keySize();
        int valueSize = valueBufferSize();
        for (Entry e : entries) {
            checkKey(e.key(), "update");
            if (e.value().length != valueSize) {
                throw new BpfException(context() + ": update: value is " + e.value().length + " bytes, the map takes "
                        + valueSize, 0, true, null);
            }
        }
        try {
            int fd = fd();
            com.sun.jna.Memory keys = new com.sun.jna.Memory((long) BATCH * Math.max(1, keySize));
            com.sun.jna.Memory values = new com.sun.jna.Memory((long) BATCH * Math.max(1, valueSize));
            for (int at = 0; at < entries.size(); at += BATCH) {
                int n = Math.min(BATCH, entries.size() - at);
                for (int i = 0; i < n; i++) {
                    keys.write((long) i * keySize, entries.get(at + i).key(), 0, keySize);
                    values.write((long) i * valueSize, entries.get(at + i).value(), 0, valueSize);
                }
                int[] count = {n};
                int ret = LibBpf.bpf_map_update_batch(fd, keys, values, count, null);
                if (ret < 0) {
                    // no batch operations here, or one entry refused: the whole batch again one by one (an
                    // update is idempotent; how far the batch got is not reported the same way by every kernel)
                    for (int i = 0; i < n; i++) {
                        update(entries.get(at + i).key(), entries.get(at + i).value(), ANY);
                    }
                }
            }
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private void checkKey(byte[] key, String operation) {
        int keySize = definition().keySize();
        if (key == null || key.length != keySize) {
            throw new BpfException(context() + ": " + operation + ": key is "
                    + (key == null ? "null" : key.length + " bytes") + ", the map has " + keySize + "-byte keys",
                    0, true, null);
        }
    }

    private void requireObjectMap(String operation) {
        if (map == null) {
            throw new BpfException(context() + ": " + operation + ": only for a map of an object before load");
        }
        if (object.isLoaded()) {
            throw new BpfException(context() + ": " + operation + ": the object is already loaded");
        }
    }

    /** Closes a standalone map's fd; a no-op for an object's map (the object owns it). */
    @Override
    public void close() {
        if (ownFd != null) {
            ownFd.close();
        }
    }

    /** The libbpf handle, valid only while the object is open (a closed object's would be freed memory). */
    Pointer pointer() {
        object.pointer(); // throws once the object is closed
        return map;
    }

    String context() {
        return (object != null ? object.context() + ": " : "") + "map " + name;
    }

    @Override
    public String toString() {
        return context();
    }

    private static volatile int possibleCpus;

    static int possibleCpus() {
        int n = possibleCpus;
        if (n <= 0) {
            n = Failures.check(LibBpf.libbpf_num_possible_cpus(), "", "count possible CPUs");
            possibleCpus = n;
        }
        return n;
    }
}
