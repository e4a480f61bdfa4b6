package io.kiln.agent.flow;

import io.kiln.agent.api.MetricsProvider;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Flow records as JSON lines in a file, for a log shipper (Fluent Bit, Vector, Promtail, the
 * OpenTelemetry collector's filelog receiver) to pick up: one {@link FlowRecord#toJson()} object a
 * line, the fields of {@code GET /v1/flows} (docs/agent.md, "Flows"), written as the agent
 * publishes each record. The file is bounded: a line that would take it past
 * {@link Options#maxBytes()} first rotates it ({@code FILE} → {@code FILE.1} → ... →
 * {@code FILE.<keep>}, the oldest deleted), as logrotate's {@code copytruncate}-free rename scheme
 * does, so a shipper following by name sees a new file. Files are created mode 0600 and never
 * through a symbolic link. A write that fails (disk full) is counted and the record skipped; the
 * next record tries again.
 */
public final class FlowExport implements Consumer<FlowRecord>, MetricsProvider, AutoCloseable {
    /**
     * @param file     the file to write (its folder must exist)
     * @param maxBytes the most one file holds before it is rotated, at least 4096
     * @param keep     rotated files kept beside it ({@code FILE.1} newest), 0..100
     */
    public record Options(Path file, long maxBytes, int keep) {
        public static final long DEFAULT_MAX_BYTES = 100L << 20;
        public static final int DEFAULT_KEEP = 3;

        public Options {
            if (file == null || file.getFileName() == null) {
                throw new IllegalArgumentException("flow export: a file to write is needed");
            }
            if (maxBytes < 4096) {
                throw new IllegalArgumentException("flow export " + file + ": max size " + maxBytes
                        + " bytes: expected at least 4096");
            }
            if (keep < 0 || keep > 100) {
                throw new IllegalArgumentException("flow export " + file + ": keep " + keep + ": expected 0..100");
            }
        }

        public static Options of(Path file) {
            return new Options(file, DEFAULT_MAX_BYTES, DEFAULT_KEEP);
        }
    }

    private final Options options;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong rotations = new AtomicLong();
    private final MetricsProvider metrics;
    private FileChannel out;
    private long size;
    private volatile String lastError;

    private FlowExport(Options options) throws IOException {
        this.options = options;
        this.out = open(options.file());
        this.size = out.size();
        this.metrics = MetricsProvider.of(
                counter("kiln_flow_export_records_total", "Flow records written to the export file.", written),
                counter("kiln_flow_export_errors_total", "Flow records the export file could not take (I/O errors).",
                        failed),
                counter("kiln_flow_export_rotations_total", "Times the export file was rotated.", rotations));
    }

    private static CounterWithCallback counter(String name, String help, AtomicLong value) {
        return CounterWithCallback.builder().name(name).help(help).callback(c -> c.call(value.get())).build();
    }

    /**
     * Opens (appends to) the export file.
     *
     * @throws UncheckedIOException the file cannot be opened, with its name and why
     */
    public static FlowExport open(Options options) {
        try {
            return new FlowExport(options);
        } catch (IOException e) {
            throw new UncheckedIOException("flow export: cannot open " + options.file() + ": " + e.getMessage(), e);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    @Override
    public synchronized void accept(FlowRecord r) {
        if (out == null) {
            return; // closed
        }
        byte[] line = (r.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            if (size > 0 && size + line.length > options.maxBytes()) {
                rotate();
            }
            ByteBuffer b = ByteBuffer.wrap(line);
            while (b.hasRemaining()) {
                out.write(b);
            }
            size += line.length;
            written.incrementAndGet();
        } catch (IOException e) {
            failed.incrementAndGet();
            lastError = e.toString();
        }
    }

    private void rotate() throws IOException {
        out.close();
        Path file = options.file();
        if (options.keep() == 0) {
            Files.delete(file);
        } else {
            Files.deleteIfExists(numbered(options.keep()));
            for (int i = options.keep() - 1; i >= 1; i--) {
                if (Files.exists(numbered(i), LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(numbered(i), numbered(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(file, numbered(1), StandardCopyOption.REPLACE_EXISTING);
        }
        out = open(file);
        size = out.size();
        rotations.incrementAndGet();
    }

    private Path numbered(int n) {
        return options.file().resolveSibling(options.file().getFileName() + "." + n);
    }

    public Options options() {
        return options;
    }

    /** Records written so far. */
    public long written() {
        return written.get();
    }

    /** Records lost to I/O errors so far. */
    public long failed() {
        return failed.get();
    }

    /** The last I/O error, or null. */
    public String lastError() {
        return lastError;
    }

    @Override
    public MetricSnapshots collect() {
        return metrics.collect();
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                lastError = e.toString();
            }
            out = null;
        }
    }
}
