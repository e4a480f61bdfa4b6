package io.kiln.agent.dataplane.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.Sha256;
import io.kiln.agent.internal.AtomicFile;
import io.kiln.cache.CompiledObject;
import io.kiln.cache.ObjectStore;
import io.kiln.cache.StoredObject;
import io.kiln.cache.VariantKey;
import io.kiln.template.RenderedSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's index into the object store: rendered source → variant key, with the headers the
 * compile read and their SHA-256. The store itself is keyed by variant keys, which only clang can
 * compute (they name the compiler); this index lets a node without clang find what an agent with
 * clang stored there, as long as every recorded header is unchanged. Files:
 * {@code STORE/agent-index/ab/abcd….json}, named by the SHA-256 of template name and rendered text.
 */
public final class StoredVariants {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore store;
    private final Path dir;
    private final Set<VariantKey> recorded = ConcurrentHashMap.newKeySet();

    public StoredVariants(ObjectStore store) {
        this.store = store;
        this.dir = store.dir().resolve(ObjectStore.AGENT_INDEX);
    }

    public Path dir() {
        return store.dir();
    }

    /** True once this process recorded {@code key} (recording is idempotent; this only saves work). */
    public boolean recorded(VariantKey key) {
        return recorded.contains(key);
    }

    /** Records that {@code src} compiles to {@code object}. A failure to write costs only the index entry. */
    public void record(RenderedSource src, CompiledObject object) {
        ObjectNode n = JSON.createObjectNode();
        n.put("template", src.template().name());
        n.put("variantKey", object.key().hex());
        ObjectNode headers = n.putObject("headers");
        try {
            for (Path h : object.headers()) {
                headers.put(h.toString(), Sha256.of(h));
            }
            AtomicFile.write(file(src), JSON.writeValueAsBytes(n));
            recorded.add(object.key());
        } catch (IOException e) {
            // a header vanished or the store is read-only: this variant is simply not indexed
        }
    }

    /** The stored object of {@code src}, if indexed, its headers unchanged and the store still holds it. */
    public Optional<StoredObject> find(RenderedSource src) {
        Path file = file(src);
        // the index chooses which object a source gets: it must be as trusted as the objects
        store.checkTrusted(file);
        JsonNode n;
        try {
            n = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // unreadable or damaged: as if absent
        }
        if (!n.path("template").asText().equals(src.template().name()) || !n.hasNonNull("variantKey")) {
            return Optional.empty();
        }
        for (var e : n.path("headers").properties()) {
            try {
                if (!Sha256.of(Path.of(e.getKey())).equals(e.getValue().asText())) {
                    return Optional.empty();
                }
            } catch (IOException gone) {
                return Optional.empty();
            }
        }
        VariantKey key;
        try {
            key = VariantKey.of(n.get("variantKey").asText());
        } catch (RuntimeException bad) {
            return Optional.empty();
        }
        // an untrusted file in the store is reported, not taken for a miss
        return store.read(key);
    }

    private Path file(RenderedSource src) {
        String name = Sha256.of((src.template().name() + "\0" + src.text()).getBytes(StandardCharsets.UTF_8));
        return dir.resolve(name.substring(0, 2)).resolve(name + ".json");
    }
}
