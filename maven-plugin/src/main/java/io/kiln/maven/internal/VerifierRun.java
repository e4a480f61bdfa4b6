package io.kiln.maven.internal;

import io.kiln.FileTrees;
import io.kiln.KilnException;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.VerifierException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads one object into the kernel with one set of constant values and reads the verifier's
 * statistics per program. Maps the object pins by name ({@code LIBBPF_PIN_BY_NAME}) are pinned in a
 * folder of their own under bpffs, removed afterwards, so a build never touches a node's real pins.
 */
public final class VerifierRun {
    private static final Pattern PROCESSED = Pattern.compile("(?m)^processed (\\d+) insns");
    private static final Pattern TIME = Pattern.compile("(?m)^verification time (\\d+) usec");
    private static final Path BPFFS = Path.of("/sys/fs/bpf");
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** One program's figures under one value set; -1 where the kernel gave none. */
    public record ProgramStats(String program, long processedInsns, long verificationMicros) {
    }

    /** One load: the programs' statistics and the wall time of the whole load (maps, relocation, verifier). */
    public record Load(List<ProgramStats> programs, long loadNanos) {
    }

    private VerifierRun() {
    }

    /**
     * Loads {@code object} with {@code constants} set.
     *
     * @throws VerifierException when the verifier rejects a program
     * @throws KilnException     when the object cannot be opened or loaded for another reason
     */
    public static Load load(byte[] object, String name, Map<String, byte[]> constants) {
        Path pins = null;
        try (BpfObject o = BpfObject.open(object, name)) {
            o.setVerifierStatistics(true);
            constants.forEach(o::setConstant);
            for (BpfMap m : o.maps()) {
                if (!m.isInternal() && m.pinPath().isPresent()) {
                    if (pins == null) {
                        pins = Files.createDirectories(BPFFS.resolve("kiln-verify-" + ProcessHandle.current().pid()
                                + "-" + RUNS.incrementAndGet()));
                    }
                    m.setPinPath(pins.resolve(m.name()));
                }
            }
            long start = System.nanoTime();
            o.load();
            long nanos = System.nanoTime() - start;
            List<ProgramStats> stats = new ArrayList<>();
            for (BpfProgram p : o.programs()) {
                String log = o.verifierLog(p.name());
                stats.add(new ProgramStats(p.name(), number(PROCESSED, log), number(TIME, log)));
            }
            return new Load(stats, nanos);
        } catch (IOException e) {
            throw new KilnException("object " + name + ": cannot make a folder for its pinned maps under " + BPFFS
                    + ": " + e.getMessage(), e);
        } finally {
            removePins(pins);
        }
    }

    private static long number(Pattern p, String log) {
        Matcher m = p.matcher(log);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void removePins(Path pins) {
        if (pins == null) {
            return;
        }
        try {
            FileTrees.delete(pins);
        } catch (IOException e) {
            // a pin left behind is named in the next run's folder listing; nothing else depends on it
        }
    }
}
