package io.kiln.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.LibbpfLog;
import io.kiln.bpf.internal.RodataLayout;
import io.kiln.bpf.internal.Structs;
import io.kiln.bpf.internal.VerifierLogs;

import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * An ELF BPF object opened by libbpf ({@code struct bpf_object}): its programs and maps, its
 * {@code .rodata} constants, then {@link #load()} into the kernel.
 *
 * <p>Typical use: open once per endpoint from the cached object bytes, {@link #setConstant} the
 * endpoint's values, pin or reuse maps, load, attach the programs. The object owns its programs
 * and maps: {@link #close()} closes their fds (programs stay alive while a link, tc filter or pin
 * holds them). Not thread-safe: one thread configures and loads an object.
 */
public final class BpfObject implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final String RODATA = ".rodata";
    /** Per-program verifier log buffer: large enough for the tail of a big program's log. */
    public static final int DEFAULT_VERIFIER_LOG_BYTES = 1 << 20;
    /** {@code BPF_LOG_STATS}: the verifier's closing statistics only. */
    private static final int LOG_STATS = 4;

    private final String name;
    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private final List<BpfProgram> programs;
    private final List<BpfMap> maps;
    private List<RodataConstant> constants;
    private int verifierLogBytes = DEFAULT_VERIFIER_LOG_BYTES;
    private boolean verifierStatistics;
    private Map<String, String> verifierLogs = Map.of();
    private boolean loaded;

    private BpfObject(String name, Pointer obj) {
        this.name = name;
        this.handle = new Handle(obj);
        this.cleanable = CLEANER.register(this, handle);
        List<BpfProgram> progs = new ArrayList<>();
        for (Pointer p = LibBpf.bpf_object__next_program(obj, null); p != null;
             p = LibBpf.bpf_object__next_program(obj, p)) {
            progs.add(new BpfProgram(this, p));
        }
        List<BpfMap> ms = new ArrayList<>();
        for (Pointer m = LibBpf.bpf_object__next_map(obj, null); m != null; m = LibBpf.bpf_object__next_map(obj, m)) {
            ms.add(new BpfMap(this, m));
        }
        this.programs = Collections.unmodifiableList(progs);
        this.maps = Collections.unmodifiableList(ms);
    }

    /**
     * Opens an object from its bytes ({@code bpf_object__open_mem}).
     *
     * @param name the object's name in every message and the prefix of its internal maps
     *             ({@code name.rodata}); letters, digits, {@code _.-}
     */
    public static BpfObject open(byte[] elf, String name) {
        LibbpfLoader.require();
        checkName(name);
        if (elf == null || elf.length == 0) {
            throw new BpfException("object " + name + ": open: no ELF bytes given", 0, true, null);
        }
        // libbpf parses the ELF in place during open and copies what it keeps (bpf_object__elf_finish
        // hands the buffer back), so the native copy lives only for the call
        try (Memory buf = new Memory(elf.length)) {
            buf.write(0, elf, 0, elf.length);
            var opts = new Structs.ObjectOpenOpts();
            opts.object_name = name;
            LibbpfLog.begin();
            Pointer obj = LibBpf.bpf_object__open_mem(buf, elf.length, opts);
            Failures.checkPointer(obj, "object " + name, "open " + elf.length + " bytes");
            return new BpfObject(name, obj);
        }
    }

    /** Opens an object file; its name is the file name up to the first dot, as libbpf names it. */
    public static BpfObject open(Path file) {
        String base = file.getFileName().toString();
        int dot = base.indexOf('.');
        return open(file, dot > 0 ? base.substring(0, dot) : base);
    }

    /** Opens an object file under the given name ({@code bpf_object__open_file}). */
    public static BpfObject open(Path file, String name) {
        LibbpfLoader.require();
        checkName(name);
        if (!Files.isRegularFile(file)) {
            throw new BpfException("object " + name + ": open " + file + ": no such file", 2, true, null);
        }
        var opts = new Structs.ObjectOpenOpts();
        opts.object_name = name;
        LibbpfLog.begin();
        Pointer obj = LibBpf.bpf_object__open_file(file.toString(), opts);
        Failures.checkPointer(obj, "object " + name, "open " + file);
        return new BpfObject(name, obj);
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new BpfException("object name '" + name + "': use 1 to 64 letters, digits, '_', '.' or '-'",
                    0, true, null);
        }
    }

    public String name() {
        return name;
    }

    /** The programs in the order libbpf keeps them: by ELF section, then by offset in it. */
    public List<BpfProgram> programs() {
        return programs;
    }

    /** The program with this C function name; fails naming the programs the object has. */
    public BpfProgram program(String programName) {
        for (BpfProgram p : programs) {
            if (p.name().equals(programName)) {
                return p;
            }
        }
        throw new BpfException("object " + name + ": no program " + programName + " (has: "
                + programs.stream().map(BpfProgram::name).collect(Collectors.joining(", ")) + ")", 0, true, null);
    }

    /** The maps, in ELF order, including libbpf's internal ones ({@code name.rodata}, {@code name.bss}, ...). */
    public List<BpfMap> maps() {
        return maps;
    }

    /** The map with this name; fails naming the maps the object has. */
    public BpfMap map(String mapName) {
        for (BpfMap m : maps) {
            if (m.name().equals(mapName)) {
                return m;
            }
        }
        throw new BpfException("object " + name + ": no map " + mapName + " (has: "
                + maps.stream().map(BpfMap::name).collect(Collectors.joining(", ")) + ")", 0, true, null);
    }

    /** The {@code volatile const} variables of {@code .rodata}, from the object's BTF, in section order. */
    public List<RodataConstant> constants() {
        if (constants == null) {
            constants = List.copyOf(RodataLayout.variables(LibBpf.bpf_object__btf(pointer()), RODATA));
        }
        return constants;
    }

    /**
     * Sets a {@code .rodata} constant before load: the verifier then sees the value as a constant.
     * {@code value} is the variable's bytes as the program reads them (host byte order for integers).
     *
     * @throws BpfException (a user error) for an unknown name or a size that is not the variable's
     */
    public void setConstant(String constantName, byte[] value) {
        RodataConstant c = constant(constantName);
        if (value == null || value.length != c.size()) {
            throw new BpfException(context() + ": constant " + constantName + ": expected " + c.size()
                    + (c.size() == 1 ? " byte (" : " bytes (") + c.type() + "), got "
                    + (value == null ? "none" : String.valueOf(value.length)), 0, true, null);
        }
        if (loaded) {
            throw new BpfException(context() + ": constant " + constantName
                    + ": cannot be set after load (open the object again)", 0, false, null);
        }
        Pointer data = rodataIn(c);
        data.write(0, value, 0, value.length);
    }

    /** The current bytes of a {@code .rodata} constant (its default until {@link #setConstant} changes it). */
    public byte[] constantValue(String constantName) {
        RodataConstant c = constant(constantName);
        return rodataIn(c).getByteArray(0, c.size());
    }

    /**
     * The constant's bytes in libbpf's copy of .rodata, only if they lie inside it: the offset and
     * size come from the object's BTF, which a crafted object can point anywhere (JNA would write there).
     */
    private Pointer rodataIn(RodataConstant c) {
        long[] size = new long[1];
        Pointer data = rodataValue(size);
        long end = (long) c.offset() + c.size();
        if (c.offset() < 0 || c.size() < 0 || end > size[0]) {
            throw new BpfException(context() + ": constant " + c.name() + ": the object's BTF puts it at bytes "
                    + Integer.toUnsignedString(c.offset()) + ".." + ((c.offset() & 0xffffffffL) + (c.size() & 0xffffffffL))
                    + ", outside .rodata (" + size[0] + " bytes); the object is malformed, nothing was written",
                    0, true, null);
        }
        return data.share(c.offset(), c.size());
    }

    private RodataConstant constant(String constantName) {
        List<RodataConstant> all = constants();
        for (RodataConstant c : all) {
            if (c.name().equals(constantName)) {
                return c;
            }
        }
        String has = all.isEmpty() ? "the object has no volatile const variables"
                : "has: " + all.stream().map(RodataConstant::name).collect(Collectors.joining(", "));
        throw new BpfException(context() + ": constant " + constantName + ": no such constant in .rodata ("
                + has + ")", 0, true, null);
    }

    /** libbpf's copy of the section ({@code bpf_map__initial_value}), which load writes into the map. */
    private Pointer rodataValue(long[] size) {
        for (BpfMap m : maps) {
            if (m.isInternal() && m.name().endsWith(RODATA)) {
                Pointer p = LibBpf.bpf_map__initial_value(m.pointer(), size);
                if (p != null) {
                    return p;
                }
            }
        }
        throw new BpfException(context() + ": .rodata: the object's BTF lists constants but libbpf has no .rodata map");
    }

    /** The verifier log buffer each program gets at load; the kernel keeps the log's end when it is too small. */
    public void setVerifierLogSize(int bytes) {
        if (bytes < 4096) {
            throw new IllegalArgumentException("verifier log size " + bytes + ": at least 4096 bytes");
        }
        this.verifierLogBytes = bytes;
    }

    /**
     * Asks the verifier for its statistics on every program at load (log level 4, {@code BPF_LOG_STATS}):
     * {@code processed N insns ...} and {@code verification time T usec}, read afterwards with
     * {@link #verifierLog}. A few lines per program, not the instruction trace of level 1; a rejection
     * still carries the verifier's reason.
     */
    public void setVerifierStatistics(boolean on) {
        this.verifierStatistics = on;
    }

    /**
     * What the verifier wrote for a program during {@link #load()}: its statistics when
     * {@link #setVerifierStatistics} asked for them, else empty (a passing program gets no log).
     */
    public String verifierLog(String programName) {
        return verifierLogs.getOrDefault(programName, "");
    }

    /**
     * Creates the maps (reusing pinned ones where a pin path is set) and loads every program
     * ({@code bpf_object__load}). A program the verifier rejects throws {@link VerifierException}
     * with its whole log.
     */
    public void load() {
        if (loaded) {
            throw new BpfException(context() + ": load: already loaded (open the object again to reload)");
        }
        for (BpfMap m : maps) {
            m.checkPinnedCompatible();
        }
        Map<BpfProgram, Memory> logs = new LinkedHashMap<>();
        try {
            for (BpfProgram p : programs) {
                // level 0: no log for a program that passes (a log costs time and, when it fills the
                // buffer, fails the load with ENOSPC); libbpf retries a failure at level 1 into this buffer
                Memory log = new Memory(verifierLogBytes);
                log.setByte(0, (byte) 0);
                Failures.check(LibBpf.bpf_program__set_log_buf(p.pointer(), log, verifierLogBytes),
                        context() + ": program " + p.name(), "set verifier log buffer");
                Failures.check(LibBpf.bpf_program__set_log_level(p.pointer(), verifierStatistics ? LOG_STATS : 0),
                        context() + ": program " + p.name(), "set verifier log level");
                logs.put(p, log);
            }
            LibbpfLog.begin();
            int ret = LibBpf.bpf_object__load(pointer());
            loaded = true; // libbpf marks the object loaded even when the load fails
            if (ret < 0) {
                for (Map.Entry<BpfProgram, Memory> e : logs.entrySet()) {
                    String log = e.getValue().getString(0, StandardCharsets.UTF_8.name());
                    // with statistics on, programs that passed have logs too, of statistics only
                    if (VerifierLogs.hasFinding(log)) {
                        throw VerifierLogs.exception(context(), e.getKey().name(), log, -ret);
                    }
                }
                throw Failures.error(context(), "load", -ret);
            }
            if (verifierStatistics) {
                Map<String, String> read = new LinkedHashMap<>();
                logs.forEach((p, log) -> read.put(p.name(), log.getString(0, StandardCharsets.UTF_8.name())));
                verifierLogs = Collections.unmodifiableMap(read);
            }
        } finally {
            // libbpf reads a program's log buffer only inside bpf_object__load
            logs.values().forEach(Memory::close);
        }
    }

    public boolean isLoaded() {
        return loaded;
    }

    /** Closes the object with its program and map fds ({@code bpf_object__close}); idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    Pointer pointer() {
        Pointer p = handle.obj;
        if (p == null) {
            throw new IllegalStateException(context() + ": closed");
        }
        return p;
    }

    String context() {
        return "object " + name;
    }

    @Override
    public String toString() {
        return context();
    }

    private static final class Handle implements Runnable {
        private volatile Pointer obj;

        Handle(Pointer obj) {
            this.obj = obj;
        }

        @Override
        public synchronized void run() {
            Pointer p = obj;
            obj = null;
            if (p != null) {
                LibBpf.bpf_object__close(p);
            }
        }
    }
}
