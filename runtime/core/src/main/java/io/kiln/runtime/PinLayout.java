package io.kiln.runtime;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where Kiln pins things in bpffs:
 * <pre>
 *   ROOT/node/MAP                          node-wide maps, shared by every endpoint
 *   ROOT/endpoints/ID/MAP                  one endpoint's maps
 *   ROOT/endpoints/ID/links/PROGRAM        one endpoint's links (tcx, XDP)
 *   ROOT/retired/MAP-ID                    an old node map a migration replaced, kept while other
 *                                          endpoints' old programs still write it (ID: its kernel id)
 * </pre>
 * ROOT is {@link #DEFAULT_ROOT} in production; tests use a root of their own.
 */
public record PinLayout(Path root) {
    public static final Path DEFAULT_ROOT = Path.of("/sys/fs/bpf/kiln");
    static final String LINKS = "links";

    public PinLayout {
        root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    public static PinLayout defaults() {
        return new PinLayout(DEFAULT_ROOT);
    }

    public Path nodeDir() {
        return root.resolve("node");
    }

    public Path nodeMap(String map) {
        return nodeDir().resolve(map);
    }

    /** Old node maps kept for a catch-up after a migration (see {@code RetiredNodeMaps}). */
    public Path retiredDir() {
        return root.resolve("retired");
    }

    public Path endpointsDir() {
        return root.resolve("endpoints");
    }

    public Path endpointDir(int endpointId) {
        return endpointsDir().resolve(Integer.toString(endpointId));
    }

    public Path endpointMap(int endpointId, String map) {
        return endpointDir(endpointId).resolve(map);
    }

    public Path linksDir(int endpointId) {
        return endpointDir(endpointId).resolve(LINKS);
    }

    public Path link(int endpointId, String program) {
        return linksDir(endpointId).resolve(program);
    }
}
