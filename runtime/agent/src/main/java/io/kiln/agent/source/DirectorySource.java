package io.kiln.agent.source;

import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.Spec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The embedded default source: a directory of spec files, one spec a file, the kind given by the
 * folder: {@code DIR/endpoints/*.yaml}, {@code DIR/policies/*.yaml}, {@code DIR/services/*.yaml}
 * ({@code .yml} and {@code .json} too; hidden files, editors' temp files, are ignored).
 *
 * <p>A file that cannot be read is an error of that file; the last good version it had stays in
 * effect, and every other file is unaffected. Two files defining the same endpoint id (or name)
 * is an error of the newcomer. Changes are seen through the kernel's file notifications, and a
 * rescan every {@code rescanInterval} catches what notifications miss (network file systems,
 * ConfigMap symlink swaps).
 */
public final class DirectorySource implements AutoCloseable {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(DirectorySource.class.getName());

    public static final String NAME = "directory";
    public static final Duration DEFAULT_RESCAN = Duration.ofSeconds(10);
    /** Notifications come in bursts (an editor writes, renames, chmods): wait this long for quiet. */
    private static final long SETTLE_MILLIS = 50;

    private final Path root;
    private final SourceListener listener;
    private final Duration rescanInterval;
    private final Map<Path, FileState> files = new TreeMap<>();
    /** Kind/key to the file that defined it first. */
    private final Map<String, Path> owners = new HashMap<>();
    private WatchService watcher;
    private Thread thread;
    private volatile boolean closed;
    private boolean sentOnce;

    private record FileState(SpecKind kind, String text, Spec good, SpecError error) {
    }

    public DirectorySource(Path root, SourceListener listener, Duration rescanInterval) {
        this.root = root.toAbsolutePath().normalize();
        this.listener = Objects.requireNonNull(listener, "listener");
        this.rescanInterval = rescanInterval;
    }

    public Path root() {
        return root;
    }

    /** Creates the kind folders if missing, scans once (sending the first snapshot), then watches. */
    public synchronized void start() {
        try {
            for (SpecKind k : SpecKind.values()) {
                Files.createDirectories(root.resolve(k.folder()));
            }
            watcher = root.getFileSystem().newWatchService();
            for (SpecKind k : SpecKind.values()) {
                root.resolve(k.folder()).register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("spec directory " + root + ": " + e.getMessage(), e);
        }
        scan();
        thread = new Thread(this::watch, "kiln-spec-directory");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Reads what changed since the last scan and sends a snapshot if anything did (always the
     * first time). Returns whether it sent one.
     */
    public synchronized boolean scan() {
        boolean changed = !sentOnce;
        Map<Path, SpecKind> present = list();
        changed |= files.keySet().retainAll(present.keySet());
        for (Map.Entry<Path, SpecKind> e : present.entrySet()) {
            changed |= refresh(e.getKey(), e.getValue());
        }
        if (!changed) {
            return false;
        }
        listener.onSnapshot(snapshot());
        sentOnce = true;
        return true;
    }

    private Map<Path, SpecKind> list() {
        Map<Path, SpecKind> out = new TreeMap<>();
        for (SpecKind k : SpecKind.values()) {
            Path dir = root.resolve(k.folder());
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(DirectorySource::isSpecFile).forEach(p -> out.put(p, k));
            } catch (IOException | UncheckedIOException e) {
                // the folder vanished or is unreadable: its files are gone for now; say so once per scan
                LOG.warning("spec directory " + dir + ": cannot list it: " + e.getMessage());
            }
        }
        return out;
    }

    /**
     * A symlink may point within the spec directory (a ConfigMap's ..data/), not out of it: one that
     * leads out is that file's error in {@code kiln status}, and it is never read. Null when inside.
     */
    private String outside(Path p) {
        try {
            Path real = p.toRealPath();
            return real.startsWith(root.toRealPath()) ? null
                    : "it leads to " + real + ", outside the spec directory " + root + "; not read";
        } catch (IOException e) {
            return null; // gone or dangling: SpecReader.text says which
        }
    }

    /**
     * By its name; a FIFO or device named like a spec is one too, so that reading it is refused as an
     * error of that file in {@code kiln status} (SpecReader never opens it) rather than skipped unseen.
     */
    static boolean isSpecFile(Path p) {
        String n = p.getFileName().toString();
        return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json"))
                && !Files.isDirectory(p);
    }

    /**
     * Re-reads a file; true when what it contributes changed. Files are small, so the text itself
     * is compared rather than trusting modification times (two writes within a clock tick).
     */
    private boolean refresh(Path file, SpecKind kind) {
        FileState old = files.get(file);
        String text;
        try {
            String outside = outside(file);
            if (outside != null) {
                throw new SpecException(file.toString(), 0, 0, "", outside);
            }
            text = SpecReader.text(file);
        } catch (SpecException e) {
            if (!Files.exists(file)) {
                return files.remove(file) != null;
            }
            Spec good = old == null ? null : old.good;
            files.put(file, new FileState(kind, null, good, SpecError.of(kind, good == null ? null : good.key(), e)
                    .withPreviousKept(good != null)));
            return old == null || !e.getMessage().equals(old.error == null ? null : old.error.message());
        }
        if (old != null && text.equals(old.text)) {
            return false;
        }
        try {
            Spec spec = SpecReader.read(kind, file.toString(), text);
            files.put(file, new FileState(kind, text, spec, null));
        } catch (SpecException e) {
            Spec good = old == null ? null : old.good;
            String key = SpecReader.guessKey(kind, text).orElse(good == null ? null : good.key());
            files.put(file, new FileState(kind, text, good, SpecError.of(kind, key, e).withPreviousKept(good != null)));
        }
        return true;
    }

    private SourceSnapshot snapshot() {
        List<EndpointSpec> endpoints = new ArrayList<>();
        List<PolicySpec> policies = new ArrayList<>();
        List<ServiceSpec> services = new ArrayList<>();
        List<SpecError> errors = new ArrayList<>();
        Map<String, Path> claimed = new HashMap<>();
        // files that owned their key before claim it first
        List<Map.Entry<Path, FileState>> ordered = new ArrayList<>(files.entrySet());
        ordered.sort((a, b) -> Boolean.compare(!ownsKey(a), !ownsKey(b)));
        for (Map.Entry<Path, FileState> e : ordered) {
            FileState f = e.getValue();
            if (f.error != null) {
                errors.add(f.error);
            }
            if (f.good == null) {
                continue;
            }
            String id = f.good.kind() + "/" + f.good.key();
            Path other = claimed.putIfAbsent(id, e.getKey());
            if (other != null) {
                String field = f.kind == SpecKind.ENDPOINT ? "id" : "name";
                errors.add(SpecError.of(f.kind, f.good.key(), f.good.origin().error(field, f.kind.word() + " "
                        + f.good.key() + " is already defined by " + other)));
                continue;
            }
            switch (f.good.kind()) {
                case ENDPOINT -> endpoints.add((EndpointSpec) f.good);
                case POLICY -> policies.add((PolicySpec) f.good);
                case SERVICE -> services.add((ServiceSpec) f.good);
            }
        }
        owners.clear();
        owners.putAll(claimed);
        return new SourceSnapshot(NAME, endpoints, policies, services, errors);
    }

    private boolean ownsKey(Map.Entry<Path, FileState> e) {
        Spec good = e.getValue().good;
        return good != null && e.getKey().equals(owners.get(good.kind() + "/" + good.key()));
    }

    private void watch() {
        while (!closed) {
            try {
                var key = watcher.poll(rescanInterval.toMillis(), TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                    // let a burst of events settle, draining them, before reading the files
                    for (var more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS); more != null;
                         more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) {
                        more.pollEvents();
                        more.reset();
                    }
                }
                scan();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                // a listener failure must not stop the watching; the next change or rescan tries again
                LOG.log(java.util.logging.Level.WARNING, "spec directory " + root + ": scan failed, retrying on the "
                        + "next change or rescan: " + e, e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
            try {
                if (watcher != null) {
                    watcher.close();
                }
            } catch (IOException e) {
                // closing anyway
            }
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
