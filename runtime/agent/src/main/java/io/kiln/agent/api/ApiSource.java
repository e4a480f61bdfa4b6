package io.kiln.agent.api;

import io.kiln.agent.internal.AtomicFile;
import io.kiln.agent.source.SourceListener;
import io.kiln.agent.source.SourceSnapshot;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.Spec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecJson;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The specs applied through the HTTP API, a source like any other. Each is kept as a file
 * {@code DIR/<kind folder>/<key>.json} (written atomically), so an agent restarted after a crash
 * comes back with what was applied. The default folder, {@code /run/kiln/api}, lives as long as
 * the pinned programs do (until reboot); specs that must outlive a reboot belong in the spec
 * directory or in Kubernetes.
 */
public final class ApiSource {
    public static final String NAME = "api";
    public static final Path DEFAULT_DIR = Path.of("/run/kiln/api");

    private final Path dir;
    private final SourceListener listener;
    private final Map<SpecKind, Map<String, Spec>> specs = new EnumMap<>(SpecKind.class);
    private final List<SpecError> loadErrors = new ArrayList<>();
    /** Writes the spec files, one at a time, beside the planning of the change they carry. */
    private final ThreadPoolExecutor storer = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "kiln-api-store");
                t.setDaemon(true);
                return t;
            });

    /** @param dir where applied specs are kept, or null to keep them in memory only */
    public ApiSource(Path dir, SourceListener listener) {
        this.dir = dir == null ? null : dir.toAbsolutePath().normalize();
        this.listener = listener;
        storer.allowCoreThreadTimeOut(true);
        for (SpecKind k : SpecKind.values()) {
            specs.put(k, new TreeMap<>());
        }
    }

    /** Reads what earlier runs applied, then sends the first snapshot. */
    public synchronized void start() {
        if (dir != null) {
            for (SpecKind k : SpecKind.values()) {
                Path folder = dir.resolve(k.folder());
                if (!Files.isDirectory(folder)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                        try {
                            Spec s = SpecReader.read(k, f);
                            specs.get(k).put(s.key(), s);
                        } catch (SpecException e) {
                            loadErrors.add(SpecError.of(k, null, e));
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("API spec folder " + folder + ": " + e.getMessage(), e);
                }
            }
        }
        send();
    }

    /**
     * Stores {@code spec} (replacing any with the same key) and, at the same time, sends a snapshot
     * with it: the file is written and forced to disk on a thread of its own while the agent plans and
     * hands the map writes on, so a rule change waits for the slower of the two, not their sum. Returns
     * only once the file is durable, so the caller answers after both; when storing fails, the
     * previous spec is put back and sent again, so what is in effect is always what is stored. Puts
     * are one at a time, in the order they come.
     */
    public synchronized void put(Spec spec) {
        Spec previous = specs.get(spec.kind()).put(spec.key(), spec);
        Future<?> stored = null;
        if (dir != null) {
            Path file = file(spec.kind(), spec.key());
            byte[] text = SpecJson.text(spec).getBytes(StandardCharsets.UTF_8);
            stored = storer.submit(() -> {
                AtomicFile.write(file, text);
                return null;
            });
        }
        try {
            send();
        } finally {
            if (stored != null) {
                awaitStored(spec, previous, stored);
            }
        }
    }

    /** Waits for the spec's file; when it could not be written, takes the spec back out of effect and throws. */
    private void awaitStored(Spec spec, Spec previous, Future<?> stored) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    stored.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the write is under way: its outcome decides what is in effect
                }
            }
        } catch (ExecutionException failed) {
            Throwable e = failed.getCause();
            if (previous == null) {
                specs.get(spec.kind()).remove(spec.key());
            } else {
                specs.get(spec.kind()).put(spec.key(), previous);
            }
            send();
            IOException io = e instanceof IOException x ? x : new IOException(String.valueOf(e), e);
            throw new UncheckedIOException("store " + spec.kind().word() + " " + spec.key() + ": " + io.getMessage(), io);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Removes; false when the API has no such spec. */
    public synchronized boolean delete(SpecKind kind, String key) {
        if (specs.get(kind).remove(key) == null) {
            return false;
        }
        if (dir != null) {
            try {
                Files.deleteIfExists(file(kind, key));
            } catch (IOException e) {
                throw new UncheckedIOException("remove " + kind.word() + " " + key + ": " + e.getMessage(), e);
            }
        }
        send();
        return true;
    }

    public synchronized Optional<Spec> get(SpecKind kind, String key) {
        return Optional.ofNullable(specs.get(kind).get(key));
    }

    /** Every spec of {@code kind} applied through the API. */
    public synchronized List<Spec> all(SpecKind kind) {
        return List.copyOf(specs.get(kind).values());
    }

    private Path file(SpecKind kind, String key) {
        return dir.resolve(kind.folder()).resolve(key + ".json");
    }

    private void send() {
        listener.onSnapshot(new SourceSnapshot(NAME,
                specs.get(SpecKind.ENDPOINT).values().stream().map(EndpointSpec.class::cast).toList(),
                specs.get(SpecKind.POLICY).values().stream().map(PolicySpec.class::cast).toList(),
                specs.get(SpecKind.SERVICE).values().stream().map(ServiceSpec.class::cast).toList(), loadErrors));
    }
}
