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

    /** @param dir where applied specs are kept, or null to keep them in memory only */
    public ApiSource(Path dir, SourceListener listener) {
        this.dir = dir == null ? null : dir.toAbsolutePath().normalize();
        this.listener = listener;
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
     * Sends a snapshot with {@code spec} (replacing any with the same key), then stores it: the map
     * entries a rule change makes do not wait for the disk. The caller answers only after both; when
     * storing fails, the previous spec is put back and sent again, so what is in effect is always what
     * is stored.
     */
    public synchronized void put(Spec spec) {
        Spec previous = specs.get(spec.kind()).put(spec.key(), spec);
        send();
        if (dir != null) {
            try {
                AtomicFile.write(file(spec.kind(), spec.key()), SpecJson.text(spec).getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                if (previous == null) {
                    specs.get(spec.kind()).remove(spec.key());
                } else {
                    specs.get(spec.kind()).put(spec.key(), previous);
                }
                send();
                throw new UncheckedIOException("store " + spec.kind().word() + " " + spec.key() + ": " + e.getMessage(), e);
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
